# Rows written by other tools (only tenant_id, key, value given) are served
# as files with exact sizes, before and after the mount started; a tenant
# with pins but no tenants row exists.
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES
        ('acme', 'obj', '{\"bb\": 1, \"a\": [true, null], \"c\": {\"d\": \"e\"}}'),
        ('acme', 'num', '123.4500'),
        ('acme', 'str', '\"str\"')"
mount_pinfs
assert_eq "$(ls "$MNT")" acme "ls / (tenant known only from its pins)"
assert_eq "$(ls "$MNT/acme")" $'num\nobj\nstr' "ls /acme"
assert_content "$MNT/acme/obj" <<'JSON'
{
  "a": [
    true,
    null
  ],
  "c": {
    "d": "e"
  },
  "bb": 1
}
JSON
assert_content "$MNT/acme/num" <<'JSON'
123.4500
JSON
assert_content "$MNT/acme/str" <<'JSON'
"str"
JSON
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES
        ('acme', 'late', '{\"added\": \"after the mount\"}'), ('beta', 'e', '{}')"
assert_eq "$(ls "$MNT")" $'acme\nbeta' "ls / after inserting into beta"
assert_eq "$(ls "$MNT/acme")" $'late\nnum\nobj\nstr' "ls /acme after an insert"
assert_content "$MNT/beta/e" <<'JSON'
{}
JSON
for f in "$MNT"/acme/* "$MNT/beta/e"; do
    assert_eq "$(stat -c %s "$f")" "$(cat "$f" | wc -c)" "size of $f"
done
assert_eq "$(pg_sql "SELECT DISTINCT source FROM system.memory_pins")" fs "default source"
umount_pinfs
