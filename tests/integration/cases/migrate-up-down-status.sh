# pinctl migrate up creates the schema (idempotently), status reports the
# current and required version per route, down reverts the last migration;
# each ends with its summary line.
use_empty_db
write_config
required=$(find "$PIT_SRC/migrations/postgres" -name '[0-9][0-9][0-9][0-9]_*.up.sql' -printf '%f\n' |
    sort | tail -n 1 | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
[[ -n "$required" ]] || fail "no migrations under $PIT_SRC/migrations/postgres"
route="postgresql:///$CASE_DB?host=$PIT_PG_SOCK"
tables()
{
    pg_sql "SELECT tablename FROM pg_tables WHERE schemaname = 'system' ORDER BY 1" | paste -sd ' '
}
version()
{
    pg_sql "SELECT coalesce(max(version), 0) FROM system.pinfs_schema"
}
pinctl()
{
    "$PINCTL" --config "$CONFIG" "$@"
}

out=$(pinctl migrate status)
assert_eq "${out%%: *}" "$route" "status names the route's backend"
assert_match "$out" ": schema version 0, this pinctl needs $required: run \"pinctl migrate up\""$'\n'"migrate status: 0 of 1 backend up to date$" "status before up"
assert_eq "$(tables)" "" "tables before up"

out=$(pinctl migrate up)
assert_match "$out" ": applied $required migrations?, schema version $required"$'\n'"migrate up: applied $required migrations? on 1 backend$" "output of up"
for t in memory_audit memory_pins pinfs_schema rbac_audit tenants; do
    assert_match " $(tables) " " $t " "table system.$t after up"
done
assert_eq "$(version)" "$required" "recorded version after up"
assert_match "$(pinctl migrate status)" ": schema version $required, this pinctl needs $required: up to date"$'\n'"migrate status: 1 of 1 backend up to date$" "status after up"

assert_match "$(pinctl migrate up)" ": applied 0 migrations, schema version $required"$'\n'"migrate up: applied 0 migrations on 1 backend$" "second up"
assert_eq "$(pg_sql "SELECT count(*) FROM system.pinfs_schema")" "$required" "version rows after a second up"

assert_match "$(pinctl migrate down)" ": reverted migration $required, schema version $((required - 1))"$'\n'"migrate down: reverted 1 migration on 1 backend$" "down"
assert_eq "$(version)" $((required - 1)) "recorded version after down"
assert_match "$(pinctl migrate status)" ": schema version $((required - 1)), this pinctl needs $required: run \"pinctl migrate up\""$'\n'"migrate status: 0 of 1 backend up to date$" "status after down"
if ((required == 1)); then
    # Only the version table may stay behind.
    assert_match "$(tables)" '^(pinfs_schema)?$' "tables after down"
fi

# Down then up again gives a working schema.
pinctl migrate up >/dev/null
assert_eq "$(version)" "$required" "recorded version after the second up"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('t', 'k', '1')"
mount_pinfs
assert_eq "$(cat "$MNT/t/k")" 1 "a pin in the re-created schema"
umount_pinfs
