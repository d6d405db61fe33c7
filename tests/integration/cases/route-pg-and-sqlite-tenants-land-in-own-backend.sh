# Two tenants routed to two drivers: "acme" to PostgreSQL, "lab" to SQLite.
# Each tenant's pins (and its tenants row) land only in its own backend;
# both read back through the mount and both appear in ls /.
rt_pg_sqlite_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"
echo '{"where":"pg"}' >"$MNT/acme/k1"
echo '{"where":"pg","n":2}' >"$MNT/acme/k2"
echo '{"where":"sqlite"}' >"$MNT/lab/k1"
printf '[1, 2, 3]' >"$MNT/lab/list"

assert_eq "$(ls "$MNT")" $'acme\nlab' "ls /"
assert_eq "$(ls "$MNT/acme")" $'k1\nk2' "ls /acme"
assert_eq "$(ls "$MNT/lab")" $'k1\nlist' "ls /lab"
assert_content "$MNT/acme/k1" <<'JSON'
{
  "where": "pg"
}
JSON
assert_content "$MNT/lab/k1" <<'JSON'
{
  "where": "sqlite"
}
JSON
assert_eq "$(stat -c %s "$MNT/lab/list")" "$(cat "$MNT/lab/list" | wc -c)" "size of lab/list"

step "PostgreSQL holds acme only"
assert_eq "$(pg_sql "SELECT string_agg(tenant_id || '/' || key || '=' || value::text, ' ' ORDER BY tenant_id, key)
                     FROM system.memory_pins")" \
    'acme/k1={"where": "pg"} acme/k2={"n": 2, "where": "pg"}' "PostgreSQL rows"
assert_eq "$(pg_sql "SELECT string_agg(name, ' ' ORDER BY name) FROM system.tenants")" acme "PostgreSQL tenants"

step "SQLite holds lab only"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT group_concat(tenant_id || '/' || key || '=' || json(value), ' ')
                                      FROM (SELECT * FROM memory_pins ORDER BY tenant_id, key)")" \
    'lab/k1={"where":"sqlite"} lab/list=[1,2,3]' "SQLite rows"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT group_concat(name, ' ') FROM tenants")" lab "SQLite tenants"
assert_eq "$(rt_sqlite "$RT_SQLITE" "PRAGMA journal_mode")" wal "SQLite journal mode"

step "a row added behind the mount's back shows up under the right tenant only"
rt_sqlite "$RT_SQLITE" "INSERT INTO memory_pins (tenant_id, key, value) VALUES ('lab', 'side', '{\"s\":1}')"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('lab', 'wrong-backend', '{}')"
assert_eq "$(ls "$MNT/lab")" $'k1\nlist\nside' "ls /lab after inserts (the PostgreSQL 'lab' row is not lab's)"
assert_eq "$(probe stat "$MNT/lab/wrong-backend")" ENOENT "lab/wrong-backend (a row in the other backend)"

step "rm removes the row from its own backend"
rm "$MNT/lab/k1" "$MNT/acme/k2"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM memory_pins WHERE key = 'k1'")" 0 "SQLite lab/k1 after rm"
assert_eq "$(pg_sql "SELECT key FROM system.memory_pins WHERE tenant_id = 'acme'")" k1 "PostgreSQL acme after rm"
umount_pinfs
