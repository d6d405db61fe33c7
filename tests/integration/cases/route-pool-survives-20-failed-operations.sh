# Every error path returns its connection to the pool (pool.size 2, short
# pool wait): 20 refused renames (RENAME_NOREPLACE onto an existing key:
# EEXIST), 20 refused rmdirs (ENOTEMPTY), 20 writes that time out on a
# locked table (EIO), and 20 operations while PostgreSQL is down (EIO) are
# each followed by operations that all succeed promptly, from several
# processes at once. A leaked connection would leave the pool empty: the
# next operations would wait out pool.wait_ms and fail with EIO.
RT_EXTRA='{"pool": {"size": 2, "wait_ms": 1500, "statement_timeout_ms": 300}}'
rt_config saas "acme=$(rt_pg_uri)"
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":"a"}' >"$MNT/acme/a"
echo '{"v":"b"}' >"$MNT/acme/b"

# works_after WHAT: 10 writes and reads in a row, then 6 processes reading
# and writing at once; each must succeed within 3 s.
works_after()
{
    local i out pids=() rc=0
    for ((i = 0; i < 10; i++)); do
        rt_timed out probe write-trunc "$MNT/acme/w" "{\"i\":$i}"
        assert_eq "$out" "write=OK close=OK" "write $i after $1"
        ((RT_MS < 3000)) || fail "write $i after $1 took $RT_MS ms"
        rt_timed out cat "$MNT/acme/w"
        assert_eq "$out" $'{\n  "i": '"$i"$'\n}' "read $i after $1"
        ((RT_MS < 3000)) || fail "read $i after $1 took $RT_MS ms"
    done
    for ((i = 0; i < 6; i++)); do
        (
            for ((j = 0; j < 5; j++)); do
                [[ "$(timeout 5 "$PROBE" write-trunc "$MNT/acme/p$i" "{\"j\":$j}")" == "write=OK close=OK" ]] || exit 1
                timeout 5 cat "$MNT/acme/p$i" >/dev/null || exit 1
            done
        ) &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i" || rc=1
    done
    ((rc == 0)) || fail "concurrent reads and writes failed after $1"
    assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key LIKE 'p%'")" 6 "concurrent writers' rows after $1"
    step "the pool still serves after $1"
}

step "20 x RENAME_NOREPLACE onto an existing key"
for ((i = 0; i < 20; i++)); do
    assert_eq "$(probe rename-noreplace "$MNT/acme/a" "$MNT/acme/b")" EEXIST "rename-noreplace $i"
done
works_after "20 refused renames"

step "20 x rmdir of a non-empty tenant"
for ((i = 0; i < 20; i++)); do
    assert_eq "$(probe rmdir "$MNT/acme")" ENOTEMPTY "rmdir $i"
done
works_after "20 refused rmdirs"

step "20 x write while another session holds an exclusive lock on the pins table"
"$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "$CASE_DB" \
    -c "BEGIN; LOCK TABLE system.memory_pins IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);" >/dev/null 2>&1 &
locker=$!
lock_held()
{
    [[ "$(pg_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                  WHERE c.relname = 'memory_pins' AND l.mode = 'AccessExclusiveLock' AND l.granted")" == 1 ]]
}
rt_wait_until 10 lock_held || fail "the locking session did not get its lock"
for ((i = 0; i < 20; i++)); do
    rt_timed out probe write-trunc "$MNT/acme/a" "{\"locked\":$i}"
    assert_match "$out" 'EIO' "write $i under the lock"
    ((RT_MS < 10000)) || fail "write $i under the lock took $RT_MS ms"
done
lock_held || fail "the lock was gone before the 20 writes ended"
pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$locker" || true
assert_eq "$(cat "$MNT/acme/a")" $'{\n  "v": "a"\n}' "acme/a after the locked writes"
works_after "20 writes that timed out"

step "20 x operations with PostgreSQL down"
rt_pg_stop
for ((i = 0; i < 20; i++)); do
    case $((i % 4)) in
    0) rt_timed out probe open-r "$MNT/acme/a" ;;
    1) rt_timed out probe write-trunc "$MNT/acme/a" '{"down":1}' ;;
    2) rt_timed out probe readdir "$MNT/acme" ;;
    3) rt_timed out probe stat "$MNT/acme/missing$i" ;;
    esac
    assert_match "$out" 'EIO' "operation $i with PostgreSQL down"
    ((RT_MS < 10000)) || fail "operation $i with PostgreSQL down took $RT_MS ms"
done
rt_pg_start
rt_wait_until 10 cat "$MNT/acme/a" || fail "acme/a unreadable 10 s after PostgreSQL restarted: $(probe open-r "$MNT/acme/a")"
works_after "20 operations with PostgreSQL down"
assert_eq "$(cat "$MNT/acme/a")" $'{\n  "v": "a"\n}' "acme/a after everything"
umount_pinfs
