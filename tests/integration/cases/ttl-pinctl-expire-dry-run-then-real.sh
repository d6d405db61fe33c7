# pinctl expire on a PostgreSQL and an SQLite route: --dry-run lists what
# it would delete and changes nothing (no row deleted, no audit row);
# the real run deletes exactly the expired rows and writes one
# memory_audit row with operation 'expire' per deleted pin, on each backend.
# Live pins (no TTL, or a TTL in the future) stay.
rt_pg_sqlite_config
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value, ttl_seconds, expires_at) VALUES
        ('acme', 'old1', '1', 1, now() - interval '1 minute'),
        ('acme', 'old2', '2', 5, now() - interval '1 second'),
        ('acme', 'future', '3', 3600, now() + interval '1 hour'),
        ('acme', 'forever', '4', NULL, NULL)"
rt_sqlite "$RT_SQLITE" "INSERT INTO memory_pins (tenant_id, key, value, ttl_seconds, expires_at) VALUES
        ('lab', 'old1', '1', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')),
        ('lab', 'future', '3', 3600, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+3600 seconds')),
        ('lab', 'forever', '4', NULL, NULL)"
pg_keys()
{
    pg_sql "SELECT string_agg(key, ' ' ORDER BY key) FROM system.memory_pins"
}
sq_keys()
{
    rt_sqlite "$RT_SQLITE" "SELECT group_concat(key, ' ') FROM (SELECT key FROM memory_pins ORDER BY key)"
}
pg_expire_audit()
{
    pg_sql "SELECT coalesce(string_agg(tenant_id || '/' || key, ' ' ORDER BY key), '') FROM system.memory_audit WHERE operation = 'expire'"
}
sq_expire_audit()
{
    rt_sqlite "$RT_SQLITE" "SELECT coalesce(group_concat(tenant_id || '/' || key, ' '), '') FROM (SELECT * FROM memory_audit WHERE operation = 'expire' ORDER BY key)"
}

step "pinctl expire --dry-run"
out=$("$PINCTL" --config "$CONFIG" expire --dry-run 2>&1) || fail "pinctl expire --dry-run failed: $out"
echo "$out" >&2
assert_eq "$(pg_keys)" "forever future old1 old2" "PostgreSQL keys after the dry run"
assert_eq "$(sq_keys)" "forever future old1" "SQLite keys after the dry run"
assert_eq "$(pg_expire_audit)" "" "PostgreSQL expire audit rows after the dry run"
assert_eq "$(sq_expire_audit)" "" "SQLite expire audit rows after the dry run"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_audit")" 0 "PostgreSQL audit rows of any kind after the dry run"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM memory_audit")" 0 "SQLite audit rows of any kind after the dry run"
assert_match "$out" 'old1' "the dry run names what it would delete"
if grep -E 'future|forever' <<<"$out" >/dev/null; then
    fail "the dry run names live pins: $out"
fi

step "pinctl expire"
out=$("$PINCTL" --config "$CONFIG" expire 2>&1) || fail "pinctl expire failed: $out"
echo "$out" >&2
assert_eq "$(pg_keys)" "forever future" "PostgreSQL keys after expire"
assert_eq "$(sq_keys)" "forever future" "SQLite keys after expire"
assert_eq "$(pg_expire_audit)" "acme/old1 acme/old2" "PostgreSQL expire audit rows"
assert_eq "$(sq_expire_audit)" "lab/old1" "SQLite expire audit rows"
assert_eq "$(pg_sql "SELECT bool_and(success) FROM system.memory_audit WHERE operation = 'expire'")" t "PostgreSQL audit success"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT min(success) FROM memory_audit WHERE operation = 'expire'")" 1 "SQLite audit success"

step "a second run has nothing to do"
"$PINCTL" --config "$CONFIG" expire >/dev/null 2>&1 || fail "a second pinctl expire failed"
assert_eq "$(pg_expire_audit)" "acme/old1 acme/old2" "PostgreSQL expire audit rows after a second run"
assert_eq "$(sq_expire_audit)" "lab/old1" "SQLite expire audit rows after a second run"
