# rm -r TENANT deletes every pin of the tenant and then the tenant itself;
# other tenants keep their pins. rm -rf of a missing tenant is quiet.
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
for k in one two 'three 3' 'a%2Fb'; do
    echo '{"k":1}' >"$MNT/acme/$k"
done
echo '"b"' >"$MNT/beta/keep"

rm -r "$MNT/acme"
assert_eq "$(probe stat "$MNT/acme")" ENOENT "stat of the removed tenant"
assert_eq "$(ls "$MNT")" beta "ls /"
assert_eq "$(pg_sql "SELECT name FROM system.tenants ORDER BY 1")" beta "tenant rows"
tool_assert_pins 'beta|keep'

rm -rf "$MNT/acme"
rm -rf "$MNT/beta"
assert_eq "$(ls "$MNT")" "" "ls / at the end"
tool_assert_pins
assert_eq "$(pg_sql "SELECT count(*) FROM system.tenants")" 0 "tenant rows at the end"
umount_pinfs
