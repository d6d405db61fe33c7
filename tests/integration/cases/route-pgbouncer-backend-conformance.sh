# The backend conformance suite (tests/conformance/backend_conformance, as
# route-backend-conformance-postgres.sh runs it directly) passes through
# PgBouncer 1.18 in transaction-pooling mode with 2 server connections, the
# backend opened as a route with "pooler": "transaction" opens it
# (PINFS_TEST_BACKEND_POOLER): every backend operation, the schema version
# check and the migration round trip (down, then up again) work through the
# pooler. pgbouncer's SHOW STATS shows the suite's transactions went through it.
pgb_require
bin=$(rt_conformance_bin) || fail "cannot find tests/conformance/backend_conformance next to the pinfs under test"
pgb_start 2
db=$(rt_extra_db conformance)
step "running $bin through $(pgb_uri "$db")"
rc=0
CMOCKA_MESSAGE_OUTPUT=TAP PINFS_TEST_BACKEND_URI=$(pgb_uri "$db") PINFS_TEST_BACKEND_POOLER=transaction \
    timeout 100 "$bin" >"$CASE_DIR/conformance.tap" 2>&1 || rc=$?
cat "$CASE_DIR/conformance.tap" >&2
((rc == 0)) || fail "backend_conformance through pgbouncer exited with status $rc"
if grep -E '^not ok' "$CASE_DIR/conformance.tap" >/dev/null; then
    fail "backend_conformance reported failures: $(grep -E '^not ok' "$CASE_DIR/conformance.tap" | paste -sd ';')"
fi
plan=$(grep -E '^1\.\.[0-9]+' "$CASE_DIR/conformance.tap" | head -n 1)
[[ -n "$plan" ]] || fail "no TAP plan in the output"
n=${plan#1..}
n=${n%% *}
((n > 0)) || fail "the TAP plan is empty: $plan"
assert_eq "$(grep -c -E '^ok ' "$CASE_DIR/conformance.tap")" "$n" "ok lines against the plan $plan"
# The suite really used the database it was given, and did so through pgbouncer.
assert_eq "$(pg_sql "SELECT count(*) > 0 FROM system.pinfs_schema" -d "$db")" t "schema rows in the suite's database"
sleep 1.1 # stats_period
xacts=$(pgb_show STATS total_xact_count "database=$db")
((xacts >= 1000)) || fail "pgbouncer counted $xacts transactions for $db (expected the suite's thousands)"
ft_report "$n conformance tests passed through pgbouncer ($xacts transactions on at most 2 server connections)"
pgb_stop
rt_drop_extra_dbs
