# Rejected writes are audit events with success false and a stable error
# code: invalid JSON (at write and at close) memory_pin.invalid_json, over
# the size limit memory_pin.too_large, refused by the policy rbac.denied;
# in /.system/audit and in system.memory_audit.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"

assert_match "$(probe write-trunc "$MNT/acme/bad-write" 'not-json')" '^write=EINVAL' "invalid at write"
assert_match "$(probe write-trunc "$MNT/acme/bad-close" '{"a":')" 'close=EINVAL' "invalid at close"
assert_match "$(head -c 1048577 /dev/zero | tr '\0' 1 | probe write-trunc "$MNT/acme/too-big" -)" \
    '^write=EFBIG' "too large"
assert_eq "$(as_user 20001 probe write-trunc "$MNT/acme/k" '{"a":2}')" open=EACCES "refused by RBAC"
assert_eq "$(as_user 20001 probe write-trunc "$MNT/acme/new" '{"a":2}')" open=EACCES "create refused by RBAC"

ev() # KEY: "operation success error_code uid" of the events for KEY in /.system/audit
{
    jq -r "select(.key == \"$1\" and .success == false) | \"\(.operation) \(.success) \(.error_code) \(.uid)\"" \
        "$MNT/.system/audit" | sort -u
}
row() # KEY: the same from system.memory_audit
{
    pg_sql "SELECT DISTINCT operation || ' ' || success || ' ' || coalesce(error_code, '-') || ' ' || uid
            FROM system.memory_audit WHERE key = '$1' AND NOT success"
}
assert_eq "$(rb_poll 2 "upsert false memory_pin.invalid_json 0" ev bad-write)" "upsert false memory_pin.invalid_json 0" "bad-write event"
assert_eq "$(rb_poll 2 "upsert false memory_pin.invalid_json 0" ev bad-close)" "upsert false memory_pin.invalid_json 0" "bad-close event"
assert_eq "$(rb_poll 2 "upsert false memory_pin.too_large 0" ev too-big)" "upsert false memory_pin.too_large 0" "too-big event"
assert_eq "$(rb_poll 2 "upsert false memory_pin.invalid_json 0" row bad-write)" "upsert false memory_pin.invalid_json 0" "bad-write row"
assert_eq "$(rb_poll 2 "upsert false memory_pin.invalid_json 0" row bad-close)" "upsert false memory_pin.invalid_json 0" "bad-close row"
assert_eq "$(rb_poll 2 "upsert false memory_pin.too_large 0" row too-big)" "upsert false memory_pin.too_large 0" "too-big row"
# The RBAC refusals: any operation name, but success false with rbac.denied, uid 20001.
assert_match "$(rb_poll_match 2 ' false rbac\.denied 20001' ev k)" ' false rbac\.denied 20001' "denied write on k in /.system/audit"
assert_match "$(rb_poll_match 2 ' false rbac\.denied 20001' row k)" ' false rbac\.denied 20001' "denied write on k in memory_audit"
assert_match "$(rb_poll_match 2 ' false rbac\.denied 20001' row new)" ' false rbac\.denied 20001' "denied create in memory_audit"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key <> 'k'")" 0 "nothing else was written"
umount_pinfs
