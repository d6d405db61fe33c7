# A slow backend cannot hang the mount. Pool of 2 connections, 1 s pool
# wait, 2 s statement (and lock) timeout. Another session holds an ACCESS
# EXCLUSIVE lock on system.memory_pins (and sleeps), so every statement of
# pinfs blocks. Three rounds of 6 concurrent operations that need the
# database (creates, opens of keys never looked up, a stat of a missing
# name, a readdir) each end within 8 s with EIO (EAGAIN allowed): two of
# them hold the connections until the lock timeout, the rest give up
# waiting for the pool. None hangs, none succeeds, nothing is written.
# After the lock goes, the same operations all succeed promptly and no
# connection of pinfs is left idle in a transaction (none leaked).
ft_trap
ft_config '{"pool": {"size": 2, "wait_ms": 1000, "statement_timeout_ms": 2000, "connect_timeout_s": 2}}'
mount_pinfs
mkdir "$MNT/acme"
echo '{"v": "a"}' >"$MNT/acme/a"
# Keys the mount has never looked up: opening them needs the database.
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value)
        SELECT 'acme', 's' || g, jsonb_build_object('s', g) FROM generate_series(0, 30) g"

step "another session takes an ACCESS EXCLUSIVE lock on the pins table and sleeps"
"$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "$CASE_DB" \
    -c "BEGIN; LOCK TABLE system.memory_pins IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(14); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
ft_bg "$locker"
lock_held()
{
    [[ "$(pg_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                  WHERE c.relname = 'memory_pins' AND l.mode = 'AccessExclusiveLock' AND l.granted")" == 1 ]]
}
rt_wait_until 10 lock_held || fail "the locking session did not get its lock"
t_lock=$(ft_now)

# round N WHAT: 6 operations at once, each under a 30 s timeout (a hang
# shows as status 124); "ms|output" per operation in round-N.I.
round()
{
    local n=$1 i pids=()
    for ((i = 0; i < 6; i++)); do
        (
            t0=$(date +%s%3N)
            case $i in
            0 | 1) out=$(timeout 30 "$PROBE" write-trunc "$MNT/acme/n$n-$i" "{\"n\":$n}") || out="status $?" ;;
            2 | 3) out=$(timeout 30 "$PROBE" open-r "$MNT/acme/s$((n * 6 + i))") || out="status $?" ;;
            4) out=$(timeout 30 "$PROBE" stat "$MNT/acme/missing$n") || out="status $?" ;;
            5) out=$(timeout 30 "$PROBE" readdir "$MNT/acme") || out="status $?" ;;
            esac
            echo "$(($(date +%s%3N) - t0))|$out" >"$CASE_DIR/round-$n.$i"
        ) &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i"
    done
}

max_ms=0
n_eio=0
n_eagain=0
for n in 1 2 3; do
    step "round $n: 6 operations at once under the lock"
    round "$n"
    for ((i = 0; i < 6; i++)); do
        IFS='|' read -r ms out <"$CASE_DIR/round-$n.$i"
        step "  operation $i: $out ($ms ms)"
        ((ms < 8000)) || fail "round $n operation $i took $ms ms (bound 8 s): $out"
        ((ms > max_ms)) && max_ms=$ms
        if [[ "$out" =~ (^|=)EIO$ ]]; then
            n_eio=$((n_eio + 1))
        elif [[ "$out" =~ (^|=)EAGAIN$ ]]; then
            n_eagain=$((n_eagain + 1))
        else
            fail "round $n operation $i under the lock: '$out' (expected EIO or EAGAIN)"
        fi
    done
done
lock_held || fail "the lock was gone before the rounds ended ($(ft_ms_since "$t_lock") ms): they did not all run against it"
step "all 18 operations failed within $max_ms ms each, $(ft_ms_since "$t_lock") ms after the lock was taken"
pool_waits=$(grep -c 'no free connection' "$PINFS_LOG" || true)
((pool_waits >= 1)) || fail "no operation gave up waiting for the pool: the pool was never exhausted"

step "the lock goes; everything works again"
pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE query LIKE '%pg_sleep(14)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$locker" || true
for ((i = 0; i < 6; i++)); do
    (
        t0=$(date +%s%3N)
        case $i in
        0 | 1 | 2) out=$(timeout 30 "$PROBE" write-trunc "$MNT/acme/after$i" "{\"after\":$i}") || out="status $?" ;;
        3 | 4) out=$(timeout 30 "$PROBE" open-r "$MNT/acme/s$((i + 20))") || out="status $?" ;;
        5) out=$(timeout 30 "$PROBE" readdir "$MNT/acme") || out="status $?" ;;
        esac
        echo "$(($(date +%s%3N) - t0))|$out" >"$CASE_DIR/after.$i"
    ) &
done
wait
for ((i = 0; i < 6; i++)); do
    IFS='|' read -r ms out <"$CASE_DIR/after.$i"
    step "  operation $i: $out ($ms ms)"
    ((ms < 3000)) || fail "operation $i after the lock took $ms ms"
    assert_match "$out" '^(write=OK close=OK|OK|OK [0-9]+)$' "operation $i after the lock"
done
assert_eq "$(cat "$MNT/acme/a")" $'{\n  "v": "a"\n}' "acme/a"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key LIKE 'n%'")" 0 \
    "rows of the creates that failed under the lock"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key LIKE 'after%'")" 3 "rows written after the lock"
assert_eq "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pinfs' AND datname = current_database()
                     AND state LIKE 'idle in transaction%'")" 0 "pinfs connections left idle in a transaction"
conns=$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pinfs' AND datname = current_database()")
((conns <= 3)) || fail "pinfs holds $conns connections (pool 2 + change feed 1)"

ft_report "counts: operations_under_lock=18 eio=$n_eio eagain=$n_eagain hung=0 max_ms=$max_ms pool_wait_timeouts_logged=$pool_waits connections_after=$conns"
umount_pinfs
