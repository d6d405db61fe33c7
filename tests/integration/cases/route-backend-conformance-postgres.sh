# The backend conformance suite (tests/conformance/backend_conformance, the
# same one the unit suite runs against SQLite) passes against PostgreSQL:
# its own database (the suite ends with a migrate down/up round trip), TAP
# output with a plan, every test "ok", none "not ok", exit status 0.
bin=$(rt_conformance_bin) || fail "cannot find tests/conformance/backend_conformance next to the pinfs under test"
step "running $bin"
db=$(rt_extra_db conformance)
rc=0
CMOCKA_MESSAGE_OUTPUT=TAP PINFS_TEST_BACKEND_URI=$(rt_pg_uri "$db") \
    timeout 100 "$bin" >"$CASE_DIR/conformance.tap" 2>&1 || rc=$?
cat "$CASE_DIR/conformance.tap" >&2
((rc == 0)) || fail "backend_conformance exited with status $rc"
if grep -E '^not ok' "$CASE_DIR/conformance.tap" >/dev/null; then
    fail "backend_conformance reported failures: $(grep -E '^not ok' "$CASE_DIR/conformance.tap" | paste -sd ';')"
fi
plan=$(grep -E '^1\.\.[0-9]+' "$CASE_DIR/conformance.tap" | head -n 1)
[[ -n "$plan" ]] || fail "no TAP plan in the output"
n=${plan#1..}
n=${n%% *}
((n > 0)) || fail "the TAP plan is empty: $plan"
assert_eq "$(grep -c -E '^ok ' "$CASE_DIR/conformance.tap")" "$n" "ok lines against the plan $plan"
grep -q -i -E 'postgres' "$CASE_DIR/conformance.tap" ||
    step "note: the TAP output does not say which backend it ran against"
# The suite really used the database it was given.
assert_eq "$(pg_sql "SELECT count(*) > 0 FROM system.pinfs_schema" -d "$db")" t "schema rows in the suite's database"
rt_drop_extra_dbs
