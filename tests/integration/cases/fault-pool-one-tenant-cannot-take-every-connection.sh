# One tenant's load cannot take another tenant's pool connections. Pool of
# 2 connections, 2 s pool wait, 4 s statement (and lock) timeout. Another
# session locks every row of tenant "slow" (SELECT ... FOR UPDATE) and
# sleeps, so each write to slow's keys holds a connection until its lock
# timeout: a tenant whose operations are slow, as a bomb read by many
# readers was.
#   1. 8 writers on slow at once, while tenant "fast" writes 10 new keys
#      one after another: every write of fast succeeds, each in < 1 s
#      (without a share per tenant, slow's writers took both connections
#      and fast's writes waited out the pool wait: EIO). slow's writers end
#      with EIO (their lock timeout or the pool wait), none hangs.
#   2. pinfs_limit_refusals_total{limit="pool",scope="share"} counts slow's
#      waits that ended while slow held its share.
#   3. After the lock goes, slow's writes succeed again, nothing of the
#      failed writes was committed, and no connection is leaked or left in
#      a transaction.
# The same gate serves SQLite routes (the backend conformance suite checks
# it on both drivers).
ft_trap
ft_config '{"pool": {"size": 2, "wait_ms": 2000, "statement_timeout_ms": 4000, "connect_timeout_s": 2}}'
mount_pinfs
mkdir "$MNT/slow" "$MNT/fast"
for ((i = 0; i < 8; i++)); do
    echo "{\"v\": $i}" >"$MNT/slow/k$i"
done
echo '{"warm": true}' >"$MNT/fast/warm"
for ((i = 0; i < 8; i++)); do
    stat "$MNT/slow/k$i" >/dev/null
done

step "another session locks every row of tenant slow and sleeps"
ft_locker "SELECT key FROM system.memory_pins WHERE tenant_id = 'slow' FOR UPDATE"
rows_locked()
{
    [[ "$(pg_sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE a.query LIKE '%pg_sleep(45)%' AND a.pid <> pg_backend_pid()
                    AND l.locktype = 'transactionid' AND l.granted")" == 1 ]]
}
rt_wait_until 10 rows_locked || fail "the locking session did not take its row locks"
refused0=$(rb_metric 'pinfs_limit_refusals_total{limit="pool",scope="share"}')

step "1. 8 writers on slow, 10 writes on fast"
for ((i = 0; i < 8; i++)); do
    (
        t0=$(date +%s%3N)
        out=$(timeout 30 "$PROBE" write-trunc "$MNT/slow/k$i" '{"v": "new"}') || out="status $?"
        echo "$(($(date +%s%3N) - t0))|$out" >"$CASE_DIR/slow.$i"
    ) &
    ft_bg $!
done
sleep 0.3
violations=()
max_fast=0
for ((i = 0; i < 10; i++)); do
    t0=$(date +%s%3N)
    out=$(timeout 30 "$PROBE" write-trunc "$MNT/fast/x$i" "{\"x\": $i}") || out="status $?"
    ms=$(($(date +%s%3N) - t0))
    step "  fast write $i: $out ($ms ms)"
    ((ms > max_fast)) && max_fast=$ms
    [[ "$out" == "write=OK close=OK" ]] || violations+=("fast write $i: '$out' (expected write=OK close=OK)")
    ((ms < 1000)) || violations+=("fast write $i took $ms ms (bound 1 s)")
done
wait_slow()
{
    local i
    for ((i = 0; i < 8; i++)); do
        [[ -s "$CASE_DIR/slow.$i" ]] || return 1
    done
}
rt_wait_until 30 wait_slow || violations+=("slow's writers did not all end within 30 s")
n_eio=0
for ((i = 0; i < 8; i++)); do
    IFS='|' read -r ms out <"$CASE_DIR/slow.$i" || true
    step "  slow write $i: $out ($ms ms)"
    if [[ "$out" =~ =EIO$ ]]; then
        n_eio=$((n_eio + 1))
    else
        violations+=("slow write $i under the lock: '$out' (expected EIO)")
    fi
done
rows_locked || fail "the row locks were gone before the writes ended: they did not run against them"

step "2. the pool refusals of slow"
refused1=$(rb_metric 'pinfs_limit_refusals_total{limit="pool",scope="share"}')
(((refused1 - refused0) >= 1)) || violations+=("pool share refusals went from $refused0 to $refused1")

step "3. the lock goes; slow's writes work again"
ft_locker_stop
assert_eq "$(rb_poll 10 "write=OK close=OK" "$PROBE" write-trunc "$MNT/slow/k0" '{"v": "after"}')" \
    "write=OK close=OK" "a write to slow after the lock"
n=$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE tenant_id = 'slow' AND value->>'v' = 'new'")
((n == 0)) || violations+=("$n rows of slow's writes that failed under the lock")
n=$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE tenant_id = 'fast' AND key LIKE 'x%'")
((n == 10)) || violations+=("$n rows of fast's 10 writes")
ft_check_sessions 3 "pool 2 + change feed 1"
assert_eq "$(rb_metric 'pinfs_limit_in_use{limit="pool"}')" 0 "backend calls in flight afterwards"

ft_report "counts: slow_writers=8 slow_eio=$n_eio fast_writes=10 fast_max_ms=$max_fast pool_share_refusals=$((refused1 - refused0)) connections_after=$FT_SESSIONS violations=${#violations[@]}"
umount_pinfs
if ((${#violations[@]})); then
    printf '  %s\n' "${violations[@]}" >&2
    fail "${#violations[@]} violation(s) (listed above)"
fi
