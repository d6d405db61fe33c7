# The backend conformance suite (tests/conformance/backend_conformance, the
# same one the unit suite runs against SQLite) passes against PostgreSQL:
# its own database (the suite ends with a migrate down/up round trip), TAP
# output with a plan, every test "ok", none "not ok", exit status 0.
db=$(rt_extra_db conformance)
rt_run_conformance "$(rt_pg_uri "$db")"
grep -q -i -E 'postgres' "$CASE_DIR/conformance.tap" ||
    step "note: the TAP output does not say which backend it ran against"
# The suite really used the database it was given.
assert_eq "$(pg_sql "SELECT count(*) > 0 FROM system.pinfs_schema" -d "$db")" t "schema rows in the suite's database"
rt_drop_extra_dbs
