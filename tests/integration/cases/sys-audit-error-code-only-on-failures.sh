# An audit event's error_code is null exactly when success is true: a
# successful getxattr, listxattr, read or write carries no error code.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
cat "$MNT/acme/k" >/dev/null
assert_eq "$(probe getxattr "$MNT/acme/k" user.pin.source)" "OK fs" "getxattr"
assert_eq "$(probe setxattr "$MNT/acme/k" user.pin.ttl 600)" OK "setxattr"
assert_eq "$(probe getxattr "$MNT/acme/k" user.pin.ttl)" "OK 600" "getxattr ttl"
assert_match "$(probe listxattr "$MNT/acme/k")" '^OK ' "listxattr"
probe write-trunc "$MNT/acme/k" nope >/dev/null
sleep 0.3
bad=$(jq -c 'select((.success == true) != (.error_code == null)) | {operation, key, success, error_code}' "$MNT/.system/audit")
[[ -z "$bad" ]] || fail "events whose error_code contradicts success:"$'\n'"$bad"
assert_eq "$(jq -c 'select(.success == false) | .error_code' "$MNT/.system/audit")" '"memory_pin.invalid_json"' "the one failure"
bad_rows=$(rb_poll 2 "" pg_sql "SELECT operation || ' ' || success || ' ' || coalesce(error_code, '-') FROM system.memory_audit
    WHERE success = (error_code IS NOT NULL AND error_code <> '')")
assert_eq "$bad_rows" "" "memory_audit rows whose error_code contradicts success"
umount_pinfs
