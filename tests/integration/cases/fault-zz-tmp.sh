ft_trap
ft_config '{"log_level": "debug", "pool": {"size": 2, "wait_ms": 1000, "statement_timeout_ms": 2000, "connect_timeout_s": 2}}'
mount_pinfs
mkdir "$MNT/acme"
echo '{"v": "a"}' >"$MNT/acme/a"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value)
        SELECT 'acme', 's' || g, jsonb_build_object('s', g) FROM generate_series(0, 30) g"
"$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "$CASE_DB" \
    -c "BEGIN; LOCK TABLE system.memory_pins IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
ft_bg "$locker"
sleep 1
T0=$(date +%s%3N)
for i in 6 7 8; do ( t0=$(date +%s%3N); out=$(timeout 60 "$PROBE" open-r "$MNT/acme/s$i") || out="rc $?"; echo "conc open-r s$i: $out start $((t0-T0)) took $(( $(date +%s%3N) - t0 )) ms" >&2 ) & done
sleep 8
echo "--- backtraces at 9 s" >&2
gdb -p "$PINFS_PID" -batch -ex 'thread apply all bt 12' 2>&1 | grep -E '^Thread|^#' | grep -v -E '^#[0-9]+ +0x[0-9a-f]+ in (start_thread|clone)' >&2
for t in /proc/$PINFS_PID/task/*; do echo "$t $(cat $t/comm) $(cat $t/wchan)"; done >&2
echo "--- pg_stat_activity" >&2
pg_sql "SELECT pid, application_name, state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity WHERE datname = current_database()" >&2
wait
echo "done at $(( $(date +%s%3N) - T0 ))" >&2
pg_sql "SELECT pid, application_name, state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity WHERE datname = current_database()" >&2
fail "show"
