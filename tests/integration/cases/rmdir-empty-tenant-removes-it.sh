# rmdir of an empty tenant removes it, also once its last pin was deleted.
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"

rmdir "$MNT/acme"
assert_eq "$(probe stat "$MNT/acme")" ENOENT "stat after rmdir"
assert_eq "$(ls "$MNT")" beta "ls / after rmdir"
assert_eq "$(pg_sql "SELECT name FROM system.tenants")" beta "tenant rows"

echo '{"a":1}' >"$MNT/beta/k"
rm "$MNT/beta/k"
assert_eq "$(probe rmdir "$MNT/beta")" OK "rmdir of a tenant whose last pin was removed"
assert_eq "$(ls "$MNT")" "" "ls / at the end"
assert_eq "$(pg_sql "SELECT count(*) FROM system.tenants")" 0 "tenant rows at the end"
umount_pinfs
