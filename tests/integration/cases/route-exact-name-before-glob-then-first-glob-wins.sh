# Route matching: an exact tenant name wins over a glob listed before it;
# among globs the first match in file order wins. Each tenant's pin lands in
# the backend its winning route names, and nowhere else.
db=$CASE_DIR/glob.db
rt_config saas \
    "a*=$(rt_sqlite_uri "$db")" \
    "acme=$(rt_pg_uri)" \
    "lab-*=$(rt_sqlite_uri "$db")" \
    "l*=$(rt_pg_uri)"
rt_migrate
mount_pinfs
for t in acme alpha lab-1 lx; do
    mkdir "$MNT/$t"
    echo "\"$t\"" >"$MNT/$t/k"
done
assert_eq "$(ls "$MNT")" $'acme\nalpha\nlab-1\nlx' "ls /"
assert_eq "$(pg_sql "SELECT string_agg(tenant_id, ' ' ORDER BY tenant_id) FROM system.memory_pins")" \
    'acme lx' "tenants whose pins are in PostgreSQL (acme: exact beats the earlier a*; lx: l*)"
assert_eq "$(rt_sqlite "$db" "SELECT group_concat(tenant_id, ' ') FROM (SELECT tenant_id FROM memory_pins ORDER BY tenant_id)")" \
    'alpha lab-1' "tenants whose pins are in SQLite (alpha: a*; lab-1: lab-* before l*)"
for t in acme alpha lab-1 lx; do
    assert_eq "$(cat "$MNT/$t/k")" "\"$t\"" "cat $t/k"
done
# A tenant that no route matches: ENXIO.
assert_eq "$(probe mkdir "$MNT/zeta")" ENXIO "mkdir of a tenant no route matches"
umount_pinfs
