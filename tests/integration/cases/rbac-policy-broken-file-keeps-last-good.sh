# A policy that does not parse or validate (bad JSON, an unknown role, a
# wrongly typed field) is refused whether it arrives by an editor save or a
# /.system/reload: the last good policy stays in force (same version and
# hash), rbac_policy_loads_total{status="failure"} counts each refusal, the
# daemon keeps serving, and a good file then applies.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]' true good-1
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a":1}' >"$MNT/acme/k"
echo '{"b":1}' >"$MNT/beta/k"
u=20001
good_hash=$(sha256sum "$RB_POLICY" | cut -c1-16)
fail0=$(rb_metric 'rbac_policy_loads_total{status="failure"}')
ok0=$(rb_metric 'rbac_policy_loads_total{status="success"}')
[[ "$fail0" =~ ^[0-9]+$ ]] || fail "no rbac_policy_loads_total{status=\"failure\"} sample: $fail0"

still_good() # WHAT
{
    assert_eq "$(jq -c '{version, hash}' "$MNT/.system/policy")" \
        "{\"version\":\"good-1\",\"hash\":\"$good_hash\"}" "$1: /.system/policy"
    assert_eq "$(as_user $u probe open-r "$MNT/acme/k")" OK "$1: acme still readable"
    assert_eq "$(as_user $u probe stat "$MNT/beta/k")" EACCES "$1: beta still hidden"
    assert_eq "$(cat "$MNT/.system/health")" ok "$1: health"
}

n=0
for bad in bad-json unknown-role enforce-not-bool; do
    n=$((n + 1))
    step "$bad by an editor save"
    case $bad in
    bad-json) printf '{"version": "bad", "enforce": true, "roles": {' | rb_policy_save_raw ;;
    unknown-role) rb_policy_text '[{"uid": 20001, "roles": ["wizard"], "tenants": ["*"]}]' true bad |
        rb_policy_save_raw ;;
    enforce-not-bool) rb_policy_text '[{"uid": 20001, "roles": ["admin"], "tenants": ["*"]}]' '"no"' bad |
        rb_policy_save_raw ;;
    esac
    assert_eq "$(rb_poll 2 $((fail0 + n)) rb_metric 'rbac_policy_loads_total{status="failure"}')" \
        $((fail0 + n)) "$bad: failure counted within 2 s"
    sleep 0.5
    assert_eq "$(rb_metric 'rbac_policy_loads_total{status="failure"}')" $((fail0 + n)) "$bad: counted once"
    assert_fails "$PINCTL" policy check "$RB_POLICY" >/dev/null 2>&1
    still_good "$bad"
done

step "a /.system/reload with the broken file on disk"
out=$(probe write-trunc "$MNT/.system/reload" 1)
assert_match "$out" '^write=OK close=E' "reload refused at close()"
n=$((n + 1))
assert_eq "$(rb_metric 'rbac_policy_loads_total{status="failure"}')" $((fail0 + n)) "reload failure counted"
still_good "after /.system/reload"
assert_eq "$(rb_metric 'rbac_policy_loads_total{status="success"}')" "$ok0" "no successful load meanwhile"

step "a good file applies again"
rb_policy_save '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["dev"], "tenants": ["acme", "beta"]}]' true good-2
assert_eq "$(rb_poll 2 OK as_user $u probe open-r "$MNT/beta/k")" OK "good-2 within 2 s"
assert_eq "$(jq -r .version "$MNT/.system/policy")" good-2 "version good-2"
assert_eq "$(rb_metric 'rbac_policy_loads_total{status="failure"}')" $((fail0 + n)) "failures unchanged"
umount_pinfs
