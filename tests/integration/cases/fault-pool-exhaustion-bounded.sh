# A slow backend cannot hang the mount, and no caller waits much longer
# than the configured timeouts. Pool of 2 connections, 1 s pool wait, 2 s
# statement (and lock) timeout. Another session holds an ACCESS EXCLUSIVE
# lock on system.memory_pins and sleeps, so every statement of pinfs on the
# pins table blocks until its timeout.
#   A. Two rounds of 6 concurrent operations on 6 different tenants (a stat
#      of a missing key in each): two hold the connections until the lock
#      timeout, the others give up waiting for the pool (the daemon logs
#      "no free connection"). Each ends with EIO (EAGAIN allowed) in < 8 s.
#   B. One round of 6 concurrent operations in one tenant (2 creates, 2
#      opens of keys never looked up, a stat of a missing key, a readdir):
#      each, again, ends with EIO/EAGAIN in < 8 s.
#   C. None succeeds under the lock, and none hangs (30 s watchdog each).
#   D. After the lock goes, the same kinds of operations all succeed within
#      3 s, nothing of the failed creates was written, and no connection of
#      pinfs is left idle in a transaction or leaked (<= pool + feed).
# Every part runs; the case fails at the end, listing every violation.
ft_trap
ft_config '{"pool": {"size": 2, "wait_ms": 1000, "statement_timeout_ms": 2000, "connect_timeout_s": 2}}'
mount_pinfs
for t in acme t1 t2 t3 t4 t5 t6; do
    mkdir "$MNT/$t"
done
echo '{"v": "a"}' >"$MNT/acme/a"
# Keys the mount has never looked up: opening them needs the database.
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value)
        SELECT 'acme', 's' || g, jsonb_build_object('s', g) FROM generate_series(0, 30) g"
sleep 0.5
for t in acme t1 t2 t3 t4 t5 t6; do
    stat "$MNT/$t" >/dev/null
done

step "another session takes an ACCESS EXCLUSIVE lock on the pins table and sleeps"
ft_locker "LOCK TABLE system.memory_pins IN ACCESS EXCLUSIVE MODE"
lock_held()
{
    [[ "$(pg_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                  WHERE c.relname = 'memory_pins' AND l.mode = 'AccessExclusiveLock' AND l.granted")" == 1 ]]
}
rt_wait_until 10 lock_held || fail "the locking session did not get its lock"
t_lock=$(ft_now)

violations=()
max_ms=0
n_eio=0
n_eagain=0
# run_six TAG OPS...: runs the 6 probe command lines OPS at once, each
# under a 30 s watchdog (a hang shows as "status 124"); "ms|output" per
# operation in $CASE_DIR/TAG.I.
run_six()
{
    local tag=$1 i pids=() ops argv
    shift
    ops=("$@")
    for ((i = 0; i < 6; i++)); do
        read -r -a argv <<<"${ops[i]}"
        (
            t0=$(date +%s%3N)
            out=$(timeout 30 "$PROBE" "${argv[@]}") || out="status $?"
            echo "$(($(date +%s%3N) - t0))|$out" >"$CASE_DIR/$tag.$i"
        ) &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i"
    done
}
# under_lock TAG: the 6 results of run_six TAG must be EIO/EAGAIN in < 8 s.
under_lock()
{
    local tag=$1 i ms out
    for ((i = 0; i < 6; i++)); do
        IFS='|' read -r ms out <"$CASE_DIR/$tag.$i"
        step "  $tag operation $i: $out ($ms ms)"
        ((ms > max_ms)) && max_ms=$ms
        if [[ "$out" =~ (^|=)EIO$ ]]; then
            n_eio=$((n_eio + 1))
        elif [[ "$out" =~ (^|=)EAGAIN$ ]]; then
            n_eagain=$((n_eagain + 1))
        else
            violations+=("$tag operation $i under the lock: '$out' (expected EIO or EAGAIN)")
        fi
        ((ms < 8000)) || violations+=("$tag operation $i took $ms ms under the lock (bound 8 s): $out")
    done
}

for n in 1 2; do
    step "A$n: 6 operations at once on 6 tenants under the lock"
    run_six "A$n" "stat $MNT/t1/m$n" "stat $MNT/t2/m$n" "stat $MNT/t3/m$n" \
        "stat $MNT/t4/m$n" "stat $MNT/t5/m$n" "stat $MNT/t6/m$n"
    under_lock "A$n"
done
pool_waits=$(grep -c 'no free connection' "$PINFS_LOG" || true)
((pool_waits >= 1)) || violations+=("no operation of part A gave up waiting for the pool: it was never exhausted")

step "B: 6 operations at once in one tenant under the lock"
run_six B "write-trunc $MNT/acme/n0 {}" "write-trunc $MNT/acme/n1 {}" "open-r $MNT/acme/s8" \
    "open-r $MNT/acme/s9" "stat $MNT/acme/missing" "readdir $MNT/acme"
under_lock B
lock_held || fail "the lock was gone before the operations ended ($(ft_ms_since "$t_lock") ms): they did not all run against it"
step "18 operations under the lock: $n_eio EIO, $n_eagain EAGAIN, the slowest $max_ms ms"

step "D: the lock goes; everything works again"
ft_locker_stop
run_six D "write-trunc $MNT/acme/after0 {\"a\":0}" "write-trunc $MNT/t1/after1 {\"a\":1}" \
    "open-r $MNT/acme/s20" "open-r $MNT/acme/s21" "stat $MNT/acme/a" "readdir $MNT/acme"
for ((i = 0; i < 6; i++)); do
    IFS='|' read -r ms out <"$CASE_DIR/D.$i"
    step "  D operation $i: $out ($ms ms)"
    ((ms < 3000)) || violations+=("operation $i after the lock took $ms ms")
    [[ "$out" =~ ^(write=OK\ close=OK|OK|OK\ [0-9]+)$ ]] || violations+=("operation $i after the lock: '$out'")
done
[[ "$(cat "$MNT/acme/a")" == $'{\n  "v": "a"\n}' ]] || violations+=("acme/a changed")
n=$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key LIKE 'n%' OR key LIKE 'm%'")
((n == 0)) || violations+=("$n rows of operations that failed under the lock")
n=$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key LIKE 'after%'")
((n == 2)) || violations+=("$n rows written after the lock (expected 2)")
ft_check_sessions 3 "pool 2 + change feed 1"

ft_report "counts: operations_under_lock=18 eio=$n_eio eagain=$n_eagain other=$((18 - n_eio - n_eagain)) max_ms=$max_ms pool_wait_timeouts_logged=$pool_waits connections_after=$FT_SESSIONS violations=${#violations[@]}"
umount_pinfs
if ((${#violations[@]})); then
    printf '  %s\n' "${violations[@]}" >&2
    fail "${#violations[@]} violation(s) (listed above)"
fi
