# rmdir of a tenant that still has pins is ENOTEMPTY and removes nothing.
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"

assert_eq "$(probe rmdir "$MNT/acme")" ENOTEMPTY "rmdir"
assert_fails rmdir "$MNT/acme" 2>/dev/null
[[ -d "$MNT/acme" ]] || fail "tenant vanished"
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "a": 1\n}' "pin after rmdir"
assert_eq "$(pg_sql "SELECT name FROM system.tenants")" acme "tenant row"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 1 "pin rows"
umount_pinfs
