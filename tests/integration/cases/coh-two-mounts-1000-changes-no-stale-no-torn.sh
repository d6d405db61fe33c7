# Two daemons mount one database. 1000 changes written through A (sizes vary,
# every 50th change deletes the key and creates it again) are each read back
# through B within 3 s, and B never shows a torn value or a value older than
# one it already showed. Halfway, every pinfs connection to the database is
# killed (pg_terminate_backend): B's change feed reconnects, B drops what it
# cached, and the rest of the run holds to the same rules.
write_config
mount_pinfs
MNT_A=$MNT
PID_A=$PINFS_PID
LOG_A=$PINFS_LOG
mkdir "$MNT_A/acme"
MNT=$CASE_DIR/mnt-b
mount_pinfs
MNT_B=$MNT
kill_cmd="psql -XAtq -h '$PIT_PG_SOCK' -d '$CASE_DB' -c \"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pinfs'\" >/dev/null"
out=$(/usr/bin/python3 "$PIT_SRC/tests/integration/coherence/two_mounts.py" "$MNT_A/acme" "$MNT_B/acme" 1000 \
    --kill-at 500 --kill-cmd "$kill_cmd") || fail "coherence violated: $out"
step "summary: $out"
assert_eq "$(jq -c '{changes, torn, stale, late, deletes, killed_at}' <<<"$out")" \
    '{"changes":1000,"torn":0,"stale":0,"late":0,"deletes":20,"killed_at":500}' "the run's counts"
# Both feeds reconnected (RESYNC after the kill): a change made now with psql is seen by both.
pg_sql "UPDATE system.memory_pins SET value = '{\"i\": -1}' WHERE tenant_id = 'acme' AND key = 'coh'"
for m in "$MNT_A" "$MNT_B"; do
    for _ in $(seq 50); do [[ "$(jq -c . "$m/acme/coh")" == '{"i":-1}' ]] && break; sleep 0.1; done
    assert_eq "$(jq -c . "$m/acme/coh")" '{"i":-1}' "a psql change seen through $m after the reconnect"
done
umount_pinfs
MNT=$MNT_A
PINFS_PID=$PID_A
PINFS_LOG=$LOG_A
umount_pinfs
