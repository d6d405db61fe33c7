# PostgreSQL through PgBouncer in transaction-pooling mode (the distribution's
# pgbouncer, 1.18 on Debian 12: no named prepared statements in this mode,
# the "options" startup parameter refused). A private pgbouncer with 2
# server connections per database serves pinfs's pool of 4:
#   - without "pooler": "transaction" the same route cannot mount (pgbouncer
#     refuses the startup parameter that carries the session timeouts);
#   - with it, real tools work on the mount and the rows are right, checked
#     with psql directly; pgbouncer's SHOW STATS/SERVERS and
#     pg_stat_activity show that the pool's sessions are pgbouncer's;
#   - "feed" LISTENs on a direct connection (not one of pgbouncer's), the
#     cache is used, and a change made with psql is seen at once;
#   - a pooled route without "feed" is warned about at mount, caches
#     nothing, and sees a psql change at once too;
#   - pinctl migrate status/up/down works through the pooler.
pgb_require
pgb_start 2

nofeed_db=$(rt_extra_db nofeed migrated)
# pgb_config FILE EXTRA_ACME_JSON: routes acme (the case database, through
# pgbouncer, with EXTRA_ACME_JSON merged) and nofeed (its own database,
# through pgbouncer, pooler transaction, no feed); pool of 4; log level info.
pgb_config()
{
    jq -n --arg acme "$(pgb_uri)" --arg nofeed "$(pgb_uri "$nofeed_db")" --argjson x "$2" \
        '{mode: "saas", log_level: "info", pool: {size: 4},
          routes: [({tenant: "acme", backend: $acme} + $x),
                   {tenant: "nofeed", backend: $nofeed, pooler: "transaction"}]}' >"$1"
}

step "without \"pooler\": \"transaction\" the route does not mount through pgbouncer"
pgb_config "$CONFIG" '{}'
start_pinfs
wait_pinfs_exit 20 || fail "pinfs still runs 20 s after mounting acme through pgbouncer without the pooler setting"
((PINFS_RC != 0)) || fail "pinfs mounted acme through pgbouncer 1.18 without \"pooler\": \"transaction\""
is_mounted "$MNT" && fail "$MNT is mounted although pinfs refused to start"
grep -q 'unsupported startup parameter: options' "$PINFS_LOG" || {
    cat -- "$PINFS_LOG" >&2
    fail "the refusal does not show pgbouncer's \"unsupported startup parameter: options\""
}
grep -qF "$PGB_SOCK" "$PINFS_LOG" || fail "the refusal does not name acme's backend"

step "with \"pooler\": \"transaction\" and \"feed\" on the direct socket"
pgb_config "$CONFIG" "$(jq -n --arg feed "$(rt_pg_uri)" '{pooler: "transaction", feed: $feed}')"
xact0=$(pgb_show STATS total_xact_count "database=$CASE_DB")
mount_pinfs
rt_wait_log_count 'route "nofeed": ".*" is reached through a transaction pooler and has no "feed": no change feed, so caches are off for it' 1 10 ||
    fail "no warning at mount that route nofeed has no feed and no cache"
assert_eq "$(rt_log_count 'route "acme".*has no "feed"')" 0 "no such warning for acme"
rt_wait_log_count "change feed of \"[^\"]*${PGB_SOCK}[^\"]*\" connected to \"[^\"]*${PIT_PG_SOCK}[^\"]*\"" 1 10 || {
    cat -- "$PINFS_LOG" >&2
    fail "acme's change feed did not connect to the direct socket"
}

step "real tools on the mount, rows checked with psql directly"
mkdir "$MNT/acme"
assert_eq "$(pg_sql "SELECT count(*) FROM system.tenants WHERE name = 'acme'")" 1 "tenants row after mkdir"
echo '{"a": 1, "b": [1, 2]}' >"$MNT/acme/k1"
assert_eq "$(tool_value acme k1)" '{"a": 1, "b": [1, 2]}' "value after echo >"
assert_eq "$(cat "$MNT/acme/k1")" $'{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ]\n}' "cat"
sed -i 's/"a": 1/"a": 7/' "$MNT/acme/k1"
assert_eq "$(tool_value acme k1)" '{"a": 7, "b": [1, 2]}' "value after sed -i"
id=$(pg_sql "SELECT id FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'k1'")
mv "$MNT/acme/k1" "$MNT/acme/k2"
tool_assert_pins "acme|k2"
assert_eq "$(pg_sql "SELECT id FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'k2'")" "$id" "mv keeps the row"
echo '[true]' >"$MNT/acme/k3"
listing=$(ls -l "$MNT/acme" | awk 'NR > 1 { print $5, $NF }')
assert_eq "$listing" "$(cat "$MNT/acme/k2" | wc -c) k2
$(cat "$MNT/acme/k3" | wc -c) k3" "ls -l (size, name)"
setfattr -n user.pin.ttl -v 3600 "$MNT/acme/k2"
assert_eq "$(rt_ttl_row pg acme k2)" "3600|set" "ttl_seconds and expires_at after setfattr user.pin.ttl"
assert_eq "$(getfattr --only-values --absolute-names -n user.pin.ttl "$MNT/acme/k2")" 3600 "getfattr user.pin.ttl"
rm "$MNT/acme/k2"
tool_assert_pins "acme|k3"
# Many writers at once: pinfs's pool of 4 shares pgbouncer's 2 server connections.
writers=()
for i in $(seq 1 8); do
    (for j in $(seq 1 10); do echo "{\"w\": $i, \"j\": $j}" >"$MNT/acme/w$i"; done) &
    writers+=($!)
done
for pid in "${writers[@]}"; do
    wait "$pid" || fail "writer $pid failed"
done
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE tenant_id = 'acme' AND key LIKE 'w%' AND value->>'j' = '10'")" 8 \
    "every writer's last value"

step "the traffic went through pgbouncer"
# Sessions on the case database first, pgbouncer's server connections then
# (a server connection made in between would only add to the latter).
feed_pid=$(pg_sql "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN pinfs_changes'")
others=$(pg_sql "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
                 AND pid <> pg_backend_pid() AND query <> 'LISTEN pinfs_changes' ORDER BY pid")
sleep 1.1 # stats_period
xact1=$(pgb_show STATS total_xact_count "database=$CASE_DB")
((xact1 - xact0 >= 80)) || fail "pgbouncer counted $((xact1 - xact0)) transactions for $CASE_DB (expected at least 80)"
servers=$(pgb_show SERVERS remote_pid "database=$CASE_DB" | sort -n)
clients=$(pgb_show CLIENTS ptr "database=$CASE_DB" "user=root" | wc -l)
n_servers=$(grep -c . <<<"$servers" || true)
((n_servers >= 1 && n_servers <= 2)) || fail "pgbouncer has $n_servers server connections to $CASE_DB (pool 2)"
((clients >= 1 && clients <= 4)) || fail "pgbouncer has $clients client connections for $CASE_DB (pinfs pool 4)"
ft_report "pgbouncer: $((xact1 - xact0)) transactions, $clients pinfs clients on $n_servers server connections"
# Every session on the case database is one of pgbouncer's, but the feed's.
assert_match "$feed_pid" '^[0-9]+$' "exactly one session LISTENs on the case database"
grep -qx -- "$feed_pid" <<<"$servers" && fail "the feed's session $feed_pid is one of pgbouncer's server connections"
[[ -n "$others" ]] || fail "no session on the case database but the feed"
for pid in $others; do
    grep -qx -- "$pid" <<<"$servers" || fail "session $pid on the case database is neither pgbouncer's nor the feed"
done
assert_eq "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'" -d "$nofeed_db")" 0 \
    "no LISTEN on the database of the route without a feed"

step "the feed on the direct connection: caches used, a psql change seen at once"
echo '{"v": 1}' >"$MNT/acme/f"
hits0=$(rb_metric 'pinfs_cache_requests_total{result="hit"}')
for i in 1 2 3; do
    assert_eq "$(cat "$MNT/acme/f")" $'{\n  "v": 1\n}' "read $i of acme/f"
done
hits1=$(rb_metric 'pinfs_cache_requests_total{result="hit"}')
((hits1 > hits0)) || fail "reading acme/f three times hit no cache ($hits0 -> $hits1): the feed does not vouch"
pg_sql "UPDATE system.memory_pins SET value = '{\"v\": 2}' WHERE tenant_id = 'acme' AND key = 'f'"
t0=$(rt_now_ms)
out=$(rb_poll 5 $'{\n  "v": 2\n}' cat "$MNT/acme/f")
assert_eq "$out" $'{\n  "v": 2\n}' "acme/f after a psql UPDATE"
ft_report "a psql UPDATE was seen through the mount after $(($(rt_now_ms) - t0)) ms (cache hits $hits0 -> $hits1)"
pg_sql "DELETE FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'f'"
out=$(rb_poll 5 ENOENT probe stat "$MNT/acme/f")
assert_eq "$out" ENOENT "acme/f after a psql DELETE"

step "the route without a feed caches nothing"
mkdir "$MNT/nofeed"
echo '{"n": 1}' >"$MNT/nofeed/k"
req0=$(rt_metric pinfs_cache_requests_total)
for i in 1 2 3; do
    assert_eq "$(cat "$MNT/nofeed/k")" $'{\n  "n": 1\n}' "read $i of nofeed/k"
done
assert_eq "$(rt_metric pinfs_cache_requests_total)" "$req0" "cache lookups for the route without a feed"
pg_sql "UPDATE system.memory_pins SET value = '{\"n\": 2}' WHERE tenant_id = 'nofeed' AND key = 'k'" -d "$nofeed_db"
assert_eq "$(cat "$MNT/nofeed/k")" $'{\n  "n": 2\n}' "nofeed/k right after a psql UPDATE"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'nofeed'" -d "$nofeed_db")" '{"n": 2}' \
    "the nofeed row"
umount_pinfs
assert_eq "$(rt_log_count 'a statement on .* timed out')" 0 "statement timeouts in the daemon log"

step "pinctl migrate through the pooler"
mig_db=$(rt_extra_db migrate)
jq -n --arg be "$(pgb_uri "$mig_db")" \
    '{mode: "saas", routes: [{tenant: "*", backend: $be, pooler: "transaction"}]}' >"$CASE_DIR/migrate.json"
required=$(find "$PIT_SRC/migrations/postgres" -name '[0-9][0-9][0-9][0-9]_*.up.sql' -printf '%f\n' |
    sort | tail -n 1 | sed 's/^0*\([0-9][0-9]*\)_.*/\1/')
mig()
{
    "$PINCTL" --config "$CASE_DIR/migrate.json" migrate "$@"
}
version()
{
    pg_sql "SELECT coalesce(max(version), 0) FROM system.pinfs_schema" -d "$mig_db"
}
assert_match "$(mig status)" ": schema version 0, this pinctl needs $required: run \"pinctl migrate up\""$'\n'"migrate (up|down|status): [a-z0-9 ]+$" "status before up"
assert_match "$(mig up)" ": applied $required migrations?, schema version $required"$'\n'"migrate (up|down|status): [a-z0-9 ]+$" "up"
assert_eq "$(version)" "$required" "version after up (psql, direct)"
assert_match "$(mig down)" ": reverted migration $required, schema version $((required - 1))"$'\n'"migrate (up|down|status): [a-z0-9 ]+$" "down"
assert_eq "$(version)" $((required - 1)) "version after down"
assert_match "$(mig up)" ": applied 1 migration, schema version $required"$'\n'"migrate (up|down|status): [a-z0-9 ]+$" "up again"
assert_match "$(mig status)" ": schema version $required, this pinctl needs $required: up to date"$'\n'"migrate (up|down|status): [a-z0-9 ]+$" "status after up"

pgb_stop
rt_drop_extra_dbs
