# mkdir /TENANT creates the tenant: a directory, and a row in system.tenants
# that outlives the mount.
mount_pinfs
assert_eq "$(pg_sql "SELECT count(*) FROM system.tenants")" 0 "tenants before mkdir"

mkdir "$MNT/acme"
[[ -d "$MNT/acme" ]] || fail "$MNT/acme is not a directory after mkdir"
assert_eq "$(pg_sql "SELECT name FROM system.tenants")" acme "system.tenants after mkdir"
assert_eq "$(ls "$MNT")" acme "ls of /"
assert_eq "$(probe mkdir "$MNT/acme")" EEXIST "mkdir of an existing tenant"
umount_pinfs

mount_pinfs
[[ -d "$MNT/acme" ]] || fail "tenant acme is gone after a remount"
umount_pinfs
