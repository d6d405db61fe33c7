# One value has one value_sha256: the upsert that wrote it and every read of
# it carry the same hash (16 hex digits), in /.system/audit and in
# system.memory_audit; a different value has a different hash.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{ "alpha" : [1, 2, {"b": true}] }' >"$MNT/acme/k"
cat "$MNT/acme/k" >/dev/null
cat "$MNT/acme/k" >/dev/null
echo '"just a string"' >"$MNT/acme/s"
cat "$MNT/acme/s" >/dev/null
sleep 0.3
ev() { jq -r "select(.key == \"$1\" and .operation == \"$2\") | .value_sha256" "$MNT/.system/audit" | sort -u; }
k_up=$(ev k upsert)
s_up=$(ev s upsert)
assert_match "$k_up" '^[0-9a-f]{16}$' "upsert hash of k"
assert_match "$s_up" '^[0-9a-f]{16}$' "upsert hash of s"
[[ "$k_up" != "$s_up" ]] || fail "two values, one hash"
assert_eq "$(ev k read)" "$k_up" "reads of k carry the upsert's hash (/.system/audit)"
assert_eq "$(ev s read)" "$s_up" "reads of s carry the upsert's hash (/.system/audit)"
row() { pg_sql "SELECT DISTINCT value_sha256 FROM system.memory_audit WHERE key = '$1' AND operation = '$2'"; }
assert_eq "$(rb_poll 2 "$k_up" row k upsert)" "$k_up" "upsert of k in memory_audit"
assert_eq "$(rb_poll 2 "$k_up" row k read)" "$k_up" "reads of k in memory_audit"
assert_eq "$(rb_poll 2 "$s_up" row s read)" "$s_up" "read of s in memory_audit"
umount_pinfs
