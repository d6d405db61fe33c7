# A token is bound to the uid that wrote it: another uid (even one sharing
# its primary group) gains nothing, sees itself unbound, and its own empty
# write cannot unbind the first uid.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
a=20001
b=20002

assert_eq "$(rb_cred $a "$(rb_mint alice admin acme 600)")" "write=OK close=OK" "uid A binds"
assert_eq "$(as_user $a probe stat "$MNT/acme/k")" "OK 13" "uid A has access"

step "uid B"
assert_eq "$(as_user $b probe stat "$MNT/acme/k")" EACCES "B stat"
assert_eq "$(as_user $b probe open-r "$MNT/acme/k")" EACCES "B open"
assert_eq "$(rb_as_groups $b $a "" probe stat "$MNT/acme/k")" EACCES "B with A's gid"
assert_eq "$(as_user $b probe readdir "$MNT")" "OK 0" "B ls / shows no tenant"
assert_eq "$(as_user $b cat "$MNT/.system/credentials" | jq -c '{uid, bound}')" '{"uid":20002,"bound":false}' "B credentials"
assert_eq "$(as_user $b cat "$MNT/.system/whoami" | jq -c '{uid, subject, token_expires_at}')" \
    '{"uid":20002,"subject":"uid:20002","token_expires_at":null}' "B whoami"
assert_eq "$(rb_cred $b $'\n')" "write=OK close=OK" "B's empty write"
assert_eq "$(as_user $a probe stat "$MNT/acme/k")" "OK 13" "A still bound after B's empty write"
assert_eq "$(as_user $a cat "$MNT/.system/credentials" | jq -c '{uid, bound, subject}')" \
    '{"uid":20001,"bound":true,"subject":"alice"}' "A credentials"
# root's own grants are its binding's, not A's token's
assert_eq "$(cat "$MNT/.system/credentials" | jq -c '{uid, bound}')" '{"uid":0,"bound":false}' "root credentials"
umount_pinfs
