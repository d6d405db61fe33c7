# rm of a key deletes its row; the tenant and its other keys stay.
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/gone"
echo '{"b":2}' >"$MNT/acme/stays"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key = 'gone'")" 1 "row before rm"

rm "$MNT/acme/gone"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key = 'gone'")" 0 "row after rm"
assert_eq "$(probe stat "$MNT/acme/gone")" ENOENT "stat after rm"
assert_eq "$(ls "$MNT/acme")" stays "ls after rm"
assert_eq "$(probe unlink "$MNT/acme/gone")" ENOENT "second unlink"
assert_eq "$(pg_sql "SELECT key FROM system.memory_pins")" stays "remaining rows"
umount_pinfs
