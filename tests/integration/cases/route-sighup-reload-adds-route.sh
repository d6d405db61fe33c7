# SIGHUP reloads the route table of a running mount: a route added to the
# config (tenant "beta" on an SQLite file, migrated beforehand) serves its
# tenant after SIGHUP, with no remount; the existing route keeps working and
# each tenant's pins land in its own backend. The config is edited in place
# through a hard link in another directory, so the daemon's watch on the
# config's directory does not see the edit: the SIGHUP is what reloads.
rt_config_linked saas "acme=$(rt_pg_uri)"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
assert_eq "$(probe stat "$MNT/beta")" ENXIO "beta before the reload"

beta=$CASE_DIR/beta.db
rt_config_to "$CASE_DIR/next.json" saas "acme=$(rt_pg_uri)" "beta=$(rt_sqlite_uri "$beta")"
rt_migrate "$CASE_DIR/next.json"
rt_config_real saas "acme=$(rt_pg_uri)" "beta=$(rt_sqlite_uri "$beta")"
rt_reload_isolated beta || fail "the edit through the other link reloaded on its own: SIGHUP cannot be isolated"

step "SIGHUP"
pid=$PINFS_PID
kill -HUP "$PINFS_PID"
rt_wait_probe 5 ENOENT stat "$MNT/beta" ||
    fail "beta is still $RT_PROBE_LAST 5 s after SIGHUP (expected ENOENT: routed, not created)"
step "beta routed $RT_WAITED_MS ms after SIGHUP"
mkdir "$MNT/beta"
echo '{"b":2}' >"$MNT/beta/k"
assert_eq "$(ls "$MNT")" $'acme\nbeta' "ls /"
assert_eq "$(cat "$MNT/beta/k")" $'{\n  "b": 2\n}' "cat beta/k"
assert_eq "$(rt_sqlite "$beta" "SELECT tenant_id || '/' || key || '=' || json(value) FROM memory_pins")" \
    'beta/k={"b":2}' "rows in beta's SQLite file"
assert_eq "$(pg_sql "SELECT string_agg(tenant_id || '/' || key, ' ') FROM system.memory_pins")" \
    'acme/k' "rows in PostgreSQL"
echo '{"a":2}' >"$MNT/acme/k"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"a": 2}' "acme/k after the reload"

step "a second SIGHUP with a config that drops beta: beta is ENXIO again"
rt_config_real saas "acme=$(rt_pg_uri)"
kill -HUP "$PINFS_PID"
rt_wait_probe 5 ENXIO stat "$MNT/beta" ||
    fail "beta is $RT_PROBE_LAST 5 s after SIGHUP with a config without its route"
assert_eq "$(ls "$MNT")" acme "ls / without beta's route"
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "a": 2\n}' "acme/k"
assert_eq "$(rt_sqlite "$beta" "SELECT count(*) FROM memory_pins")" 1 "beta's row is still in its file"
assert_eq "$PINFS_PID" "$pid" "same daemon"
umount_pinfs
