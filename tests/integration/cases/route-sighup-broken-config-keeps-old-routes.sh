# A config that is invalid when SIGHUP arrives is refused as a whole and the
# last good route table stays: bad JSON, an unknown mode, a saas config with
# no routes, an unreachable PostgreSQL, a database that does not exist, an
# unmigrated PostgreSQL database and an unmigrated SQLite file. After each,
# the daemon still runs, both old routes serve reads and writes into their
# own backends, and the tenant the bad config would have added is ENXIO.
# A good config afterwards is still taken.
rt_config_linked saas "acme=$(rt_pg_uri)" "lab=$(rt_sqlite_uri "$CASE_DIR/lab.db")"
rt_migrate
mount_pinfs
pid=$PINFS_PID
mkdir "$MNT/acme" "$MNT/lab"
echo '{"n":0}' >"$MNT/acme/k"
echo '{"n":0}' >"$MNT/lab/k"

unmigrated_sqlite=$CASE_DIR/unmigrated.db
rt_sqlite "$unmigrated_sqlite" "CREATE TABLE unrelated (x INTEGER)"
empty_db=$(rt_extra_db empty)
good_acme="acme=$(rt_pg_uri)"
good_lab="lab=$(rt_sqlite_uri "$CASE_DIR/lab.db")"
n=0

# check_old_table WHAT: the old routes still serve, the bad one never came.
check_old_table()
{
    n=$((n + 1))
    pid_running "$PINFS_PID" || fail "pinfs died after a bad config ($1)"
    assert_eq "$(ls "$MNT")" $'acme\nlab' "ls / after $1"
    assert_eq "$(probe stat "$MNT/beta")" ENXIO "beta after $1"
    assert_eq "$(probe write-trunc "$MNT/acme/k" "{\"n\":$n}")" "write=OK close=OK" "write acme/k after $1"
    assert_eq "$(probe write-trunc "$MNT/lab/k" "{\"n\":$n}")" "write=OK close=OK" "write lab/k after $1"
    assert_eq "$(cat "$MNT/acme/k")" $'{\n  "n": '"$n"$'\n}' "cat acme/k after $1"
    assert_eq "$(cat "$MNT/lab/k")" $'{\n  "n": '"$n"$'\n}' "cat lab/k after $1"
    assert_eq "$(pg_sql "SELECT string_agg(tenant_id || '/' || key || '=' || value::text, ' ') FROM system.memory_pins")" \
        "acme/k={\"n\": $n}" "PostgreSQL rows after $1"
    assert_eq "$(rt_sqlite "$CASE_DIR/lab.db" "SELECT group_concat(tenant_id || '/' || key || '=' || json(value), ' ') FROM memory_pins")" \
        "lab/k={\"n\":$n}" "SQLite rows after $1"
}

step "bad JSON"
printf '{"mode": "saas", "routes": [{"tenant": "beta", ' >"$RT_REAL_CONFIG"
rt_hup_and_settle
check_old_table "bad JSON"

step "unknown mode"
rt_config_real cloud "beta=$(rt_pg_uri)"
rt_hup_and_settle
check_old_table "an unknown mode"

step "saas with no routes"
rt_config_real saas
rt_hup_and_settle
check_old_table "saas with no routes"

step "unreachable PostgreSQL (acme moved to it)"
rt_config_real saas "acme=postgresql:///$CASE_DB?host=$CASE_DIR/no-such-socket-dir" "$good_lab" "beta=$(rt_pg_uri)"
rt_hup_and_settle
check_old_table "an unreachable backend"

step "a database that does not exist"
rt_config_real saas "$good_acme" "$good_lab" "beta=$(rt_pg_uri "${CASE_DB}_does_not_exist")"
rt_hup_and_settle
check_old_table "a missing database"

step "unmigrated PostgreSQL database (acme moved to it)"
rt_config_real saas "acme=$(rt_pg_uri "$empty_db")" "$good_lab" "beta=$(rt_pg_uri "$empty_db")"
rt_hup_and_settle
check_old_table "an unmigrated PostgreSQL database"
assert_eq "$(pg_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'system'" -d "$empty_db")" 0 \
    "the reload did not create tables in the unmigrated database"

step "unmigrated SQLite file (lab moved to it)"
rt_config_real saas "$good_acme" "lab=$(rt_sqlite_uri "$unmigrated_sqlite")" "beta=$(rt_sqlite_uri "$unmigrated_sqlite")"
rt_hup_and_settle
check_old_table "an unmigrated SQLite file"

step "a good config is still taken afterwards"
rt_config_real saas "$good_acme" "$good_lab" "beta=$(rt_pg_uri)"
kill -HUP "$PINFS_PID"
rt_wait_probe 5 ENOENT stat "$MNT/beta" ||
    fail "beta is $RT_PROBE_LAST 5 s after SIGHUP with a good config"
assert_eq "$PINFS_PID" "$pid" "same daemon"
umount_pinfs
rt_drop_extra_dbs
