# In file names '/' is %2F and '%' is %25, both ways: writing a%2Fb%25c
# stores key a/b%c, and a key x/y%z written by psql is listed as x%2Fy%25z.
mount_pinfs
mkdir "$MNT/acme"
echo '{"p":1}' >"$MNT/acme/a%2Fb%25c"
assert_eq "$(pg_sql "SELECT key FROM system.memory_pins WHERE tenant_id = 'acme'")" 'a/b%c' "stored key"
assert_eq "$(ls "$MNT/acme")" 'a%2Fb%25c' "listed name"
assert_eq "$(cat "$MNT/acme/a%2Fb%25c")" $'{\n  "p": 1\n}' "read back"

pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('acme', 'x/y%z', '2')"
assert_eq "$(ls "$MNT/acme")" $'a%2Fb%25c\nx%2Fy%25z' "listed names with a psql row"
assert_eq "$(cat "$MNT/acme/x%2Fy%25z")" 2 "read of the psql row"

rm "$MNT/acme/a%2Fb%25c"
assert_eq "$(pg_sql "SELECT key FROM system.memory_pins WHERE tenant_id = 'acme'")" 'x/y%z' "after rm"
umount_pinfs
