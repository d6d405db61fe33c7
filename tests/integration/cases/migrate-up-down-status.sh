# pinctl migrate up creates the schema (idempotently), status reports the
# current and required versions, down removes the tables again.
use_empty_db
write_config
tables()
{
    pg_sql "SELECT tablename FROM pg_tables WHERE schemaname = 'system' ORDER BY 1" | paste -sd ' '
}
version()
{
    pg_sql "SELECT coalesce(max(version), 0) FROM system.pinfs_schema"
}

out=$("$PINCTL" --config "$CONFIG" migrate status 2>&1) || true
step "status before up: $out"
assert_match "$out" 'current[^0-9]*0[^0-9].*required[^0-9]*1([^0-9]|$)' "status before up"

"$PINCTL" --config "$CONFIG" migrate up
assert_eq "$(tables)" "memory_audit memory_pins pinfs_schema rbac_audit tenants" "tables after up"
assert_eq "$(version)" 1 "recorded version after up"
out=$("$PINCTL" --config "$CONFIG" migrate status 2>&1)
step "status after up: $out"
assert_match "$out" 'current[^0-9]*1[^0-9].*required[^0-9]*1([^0-9]|$)' "status after up"

"$PINCTL" --config "$CONFIG" migrate up
assert_eq "$(pg_sql "SELECT count(*) FROM system.pinfs_schema")" 1 "rows after a second up"

"$PINCTL" --config "$CONFIG" migrate down
remaining=$(tables)
assert_match " $remaining " '^ (pinfs_schema )?$' "tables after down"
if [[ -n "$remaining" ]]; then
    assert_eq "$(version)" 0 "recorded version after down"
fi
out=$("$PINCTL" --config "$CONFIG" migrate status 2>&1) || true
assert_match "$out" 'current[^0-9]*0[^0-9].*required[^0-9]*1([^0-9]|$)' "status after down"

# Down then up again gives a working schema.
"$PINCTL" --config "$CONFIG" migrate up
assert_eq "$(version)" 1 "recorded version after the second up"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('t', 'k', '1')"
