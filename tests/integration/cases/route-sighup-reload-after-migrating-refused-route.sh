# A route refused because its database was unmigrated works once the
# database is migrated (pinctl migrate up, from another process) and the
# daemon gets SIGHUP: the config is written while the new route's database
# is unmigrated (the reload that the config change triggers is refused and
# the old table stays), then migrated without touching the config, so only
# the SIGHUP can make the route appear. The old route keeps working
# throughout; the new tenant's pins land in the new database.
rt_config saas "acme=$(rt_pg_uri)"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
assert_eq "$(probe stat "$MNT/beta")" ENXIO "beta before any reload"

beta_db=$(rt_extra_db beta)
rt_config saas "acme=$(rt_pg_uri)" "beta=$(rt_pg_uri "$beta_db")"
sleep 1
assert_eq "$(probe stat "$MNT/beta")" ENXIO "beta while its database is unmigrated"
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "a": 1\n}' "acme/k while a reload is refused"

"$PINCTL" --config "$CONFIG" migrate up >"$CASE_DIR/migrate.log" 2>&1 || {
    cat "$CASE_DIR/migrate.log" >&2
    fail "pinctl migrate up failed"
}
sleep 1
assert_eq "$(probe stat "$MNT/beta")" ENXIO "beta after migrating, before SIGHUP (the config did not change)"

step "SIGHUP"
kill -HUP "$PINFS_PID"
rt_wait_probe 5 ENOENT stat "$MNT/beta" ||
    fail "beta is still $RT_PROBE_LAST 5 s after SIGHUP (expected ENOENT: routed, not created)"
step "route appeared $RT_WAITED_MS ms after SIGHUP"
mkdir "$MNT/beta"
echo '{"b":2}' >"$MNT/beta/k"
assert_eq "$(ls "$MNT")" $'acme\nbeta' "ls /"
assert_eq "$(cat "$MNT/beta/k")" $'{\n  "b": 2\n}' "cat beta/k"
assert_eq "$(pg_sql "SELECT tenant_id || '/' || key || '=' || value::text FROM system.memory_pins" -d "$beta_db")" \
    'beta/k={"b": 2}' "rows in beta's database"
assert_eq "$(pg_sql "SELECT string_agg(tenant_id || '/' || key, ' ') FROM system.memory_pins")" \
    'acme/k' "rows in acme's database"
echo '{"a":2}' >"$MNT/acme/k"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"a": 2}' "acme/k after the reload"
pid_running "$PINFS_PID" || fail "pinfs died"
umount_pinfs
rt_drop_extra_dbs
