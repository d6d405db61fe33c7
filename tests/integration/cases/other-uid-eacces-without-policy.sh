# With no policy file, a uid that is neither root nor the mounting uid gets
# EACCES for reads, writes, listings and mkdir; root keeps working and
# nothing changes in the database.
mount_pinfs
mkdir "$MNT/acme"
echo '{"s":1}' >"$MNT/acme/k"
u=10001

assert_eq "$(as_user $u probe open-r "$MNT/acme/k")" EACCES "open for reading"
assert_eq "$(as_user $u probe stat "$MNT/acme/k")" EACCES "stat"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"s":2}')" open=EACCES "overwrite"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/new" '{"s":3}')" open=EACCES "create"
assert_eq "$(as_user $u probe readdir "$MNT/acme")" EACCES "readdir of a tenant"
assert_eq "$(as_user $u probe mkdir "$MNT/evil")" EACCES "mkdir of a tenant"
assert_eq "$(as_user $u probe unlink "$MNT/acme/k")" EACCES "unlink"
assert_eq "$(as_user $u probe rmdir "$MNT/acme")" EACCES "rmdir"
# The real tools fail too.
assert_fails as_user $u cat "$MNT/acme/k" 2>/dev/null
assert_fails as_user $u ls "$MNT/acme" 2>/dev/null
assert_fails as_user $u sh -c 'echo "{}" > "$1"' _ "$MNT/acme/k" 2>/dev/null

# Root still works and nothing changed.
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "s": 1\n}' "root's read"
assert_eq "$(ls "$MNT")" acme "root's ls"
assert_eq "$(pg_sql "SELECT key || ' ' || value::text FROM system.memory_pins")" 'k {"s": 1}' "rows"
assert_eq "$(pg_sql "SELECT name FROM system.tenants")" acme "tenants"
umount_pinfs
