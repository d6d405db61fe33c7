# An audit event's value_sha256 is the first 16 hex of SHA-256 of the
# value's canonical text, what cat shows (docs/decisions.md): the same for
# the upsert that wrote a value and for every read of it, and different for
# a different value (checked in /.system/audit and in system.memory_audit).
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{ "alpha" : [1, 2, {"b": true}] }' >"$MNT/acme/k"
cat "$MNT/acme/k" >/dev/null
echo '"just a string"' >"$MNT/acme/s"
cat "$MNT/acme/s" >/dev/null

want_k=$(cat "$MNT/acme/k" | sha256sum | cut -c1-16)
want_s=$(cat "$MNT/acme/s" | sha256sum | cut -c1-16)
# Not the compact text's hash, and not the same for different values.
[[ $want_k != "$(rb_sha16 '{"alpha":[1,2,{"b":true}]}')" ]] || fail "hash of the compact text"
[[ $want_k != "$want_s" ]] || fail "two values, one hash"
sleep 0.3
ev() { jq -r "select(.key == \"$1\" and .operation == \"$2\") | .value_sha256" "$MNT/.system/audit" | sort -u; }
assert_eq "$(ev k upsert)" "$want_k" "upsert of k in /.system/audit"
assert_eq "$(ev k read)" "$want_k" "read of k in /.system/audit"
assert_eq "$(ev s upsert)" "$want_s" "upsert of s"
assert_eq "$(ev s read)" "$want_s" "read of s"
row() { pg_sql "SELECT DISTINCT value_sha256 FROM system.memory_audit WHERE key = '$1' AND operation = '$2'"; }
assert_eq "$(rb_poll 2 "$want_k" row k upsert)" "$want_k" "upsert of k in memory_audit"
assert_eq "$(rb_poll 2 "$want_k" row k read)" "$want_k" "read of k in memory_audit"
assert_eq "$(rb_poll 2 "$want_s" row s read)" "$want_s" "read of s in memory_audit"
umount_pinfs
