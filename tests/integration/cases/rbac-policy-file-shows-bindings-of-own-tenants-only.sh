# The policy file (/.system/policy) shows a caller with policy:read only the bindings of its
# own tenants (other subjects' bindings too, cut to the tenants in its
# scope), marked "filtered"; a caller with policy:read on a "*" scope or
# with policy:write sees the whole policy. Names of other tenants and
# their subjects never appear in the filtered view.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme", "lab-*"]},
            {"uid": 20002, "roles": ["machine"], "tenants": ["secret-corp"]},
            {"uid": 20003, "roles": ["readonly"], "tenants": ["acme", "hidden-inc"]},
            {"uid": 20004, "roles": ["readonly"], "tenants": ["*"]},
            {"uid": 20006, "roles": ["admin"], "tenants": ["beta"]},
            {"sub": "robot-9", "roles": ["dev"], "tenants": ["lab-7", "lab-[0-9]"]}]'
rb_config
mount_pinfs

bindings() { as_user "$1" cat "$MNT/.system/policy" | jq -c '[.filtered, [.policy.bindings[] | [(.uid // .sub), .tenants]]]'; }
full=$(jq -c '[.bindings[] | [(.uid // .sub), .tenants]]' "$RB_POLICY")

step "a scoped reader sees its own tenants' bindings"
assert_eq "$(bindings 20001)" \
    '[true,[[20001,["acme","lab-*"]],[20003,["acme"]],["robot-9",["lab-7"]]]]' "dev on acme and lab-*"
view=$(as_user 20001 cat "$MNT/.system/policy")
for secret in secret-corp hidden-inc beta 20002 20004 20006 'lab-\[0-9\]'; do
    assert_eq "$(grep -c -- "$secret" <<<"$view" || true)" 0 "\"$secret\" in 20001's view"
done
assert_eq "$(jq -r '.version, .hash, (.policy.roles | length > 0)' <<<"$view" | tr '\n' ' ')" \
    "test-1 $(jq -r .hash "$MNT/.system/policy") true " "version, hash and roles are shown"
assert_eq "$(bindings 20002)" '[true,[[20002,["secret-corp"]]]]' "machine on secret-corp"

step "a * scope with policy:read, or policy:write, sees everything"
assert_eq "$(bindings 20004)" "[false,$full]" "readonly on *"
assert_eq "$(bindings 20006)" "[false,$full]" "admin (policy:write) on beta"
assert_eq "$(bindings 0)" "[false,$full]" "root"
assert_eq "$(as_user 20005 probe open-r "$MNT/.system/policy")" EACCES "an unbound uid"
umount_pinfs
