# A row the backend refuses (here a constraint an operator added) costs only
# itself: the audit rows written in the same batch as it still reach
# memory_audit, on PostgreSQL (one COPY per batch) and on SQLite (one
# transaction per batch); the refused one is dropped, counted and logged.
rt_pg_sqlite_config
pg_sql "ALTER TABLE system.memory_audit ADD CONSTRAINT no_poison CHECK (key IS DISTINCT FROM 'poison')"
rt_sqlite "$RT_SQLITE" "CREATE TRIGGER no_poison BEFORE INSERT ON memory_audit WHEN NEW.key = 'poison'
    BEGIN SELECT RAISE(ABORT, 'no poison'); END;"
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"
sleep 0.3

step "a burst of 21 writes per tenant, one of them audited as key poison"
/usr/bin/python3 - "$MNT" <<'PY'
import sys
mnt = sys.argv[1]
for t in ("acme", "lab"):
    names = ["k%02d" % i for i in range(10)] + ["poison"] + ["k%02d" % i for i in range(10, 20)]
    for n in names:
        with open("%s/%s/%s" % (mnt, t, n), "w") as f:
            f.write('{"n": "%s"}' % n)
PY
for be in pg "$RT_SQLITE"; do
    t=acme
    [[ $be == pg ]] || t=lab
    assert_eq "$(rb_poll 3 20 rt_db "$be" "SELECT count(*) FROM @audit WHERE operation = 'upsert' AND tenant_id = '$t' AND key LIKE 'k%'")" \
        20 "the 20 neighbours' rows on $be"
    assert_eq "$(rt_db "$be" "SELECT count(*) FROM @audit WHERE key = 'poison'")" 0 "no poison row on $be"
done
# In the database, not with cat: a read of it would be audited as key poison too.
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'poison'")" \
    '{"n": "poison"}' "the pin itself was written"
assert_eq "$(rb_poll 3 2 rb_metric pinfs_audit_dropped_total)" 2 "two rows dropped, counted"
assert_eq "$(rb_poll 3 2 rt_log_count 'could not write 1 of [0-9]+ audit event')" 2 "each logged"
umount_pinfs
