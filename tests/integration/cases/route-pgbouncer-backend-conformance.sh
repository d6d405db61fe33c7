# The backend conformance suite (tests/conformance/backend_conformance, as
# route-backend-conformance-postgres.sh runs it directly) passes through
# PgBouncer 1.18 in transaction-pooling mode with 2 server connections, the
# backend opened as a route with "pooler": "transaction" opens it
# (PINFS_TEST_BACKEND_POOLER): every backend operation, the schema version
# check and the migration round trip (down, then up again) work through the
# pooler. pgbouncer's SHOW STATS shows the suite's transactions went through it.
pgb_require
pgb_start 2
db=$(rt_extra_db conformance)
rt_run_conformance "$(pgb_uri "$db")" PINFS_TEST_BACKEND_POOLER=transaction
n=$RT_CONFORMANCE_N
# The suite really used the database it was given, and did so through pgbouncer.
assert_eq "$(pg_sql "SELECT count(*) > 0 FROM system.pinfs_schema" -d "$db")" t "schema rows in the suite's database"
sleep 1.1 # stats_period
xacts=$(pgb_show STATS total_xact_count "database=$db")
((xacts >= 1000)) || fail "pgbouncer counted $xacts transactions for $db (expected the suite's thousands)"
ft_report "$n conformance tests passed through pgbouncer ($xacts transactions on at most 2 server connections)"
pgb_stop
rt_drop_extra_dbs
