# The daemon, mounted with -o auto_unmount, is killed with SIGKILL (by its
# pid) while 6 writers and 6 readers (tests/integration/fault/load.py) run.
#   - Within 5 s (10 s under ASan) the mount point is released (fusermount3's auto_unmount
#     watchdog): not in the mount table, `mountpoint -q` false, and the
#     directory underneath is empty (nothing was written into it).
#   - Until the kill, no operation failed, read torn or empty or took over 10 s;
#     after it, failures (ENOTCONN, ECONNABORTED, ENOENT) are counted apart.
#   - Every write acknowledged before the kill is in the database with
#     exactly its value, and a new mount of the same mount point reads
#     every one of them; a write cut off by the kill left its value or
#     nothing, never another one.
ft_trap
ft_config '{}'
mount_pinfs -o auto_unmount
killed_pid=$PINFS_PID
mkdir "$MNT/ft"

step "load: 6 writers, 6 readers, until the daemon is killed"
ft_load_bg "$CASE_DIR/load.out" run --mnt "$MNT" --tenant ft --state "$CASE_DIR/load.json" --writers 6 --readers 6 \
    --duration 60 --pad 1500 --stop-file "$CASE_DIR/stop" --allow ''
load_pid=$FT_LOAD_PID
sleep 5
pid_running "$load_pid" || fail "the load ended early: $(cat -- "$CASE_DIR/load.out")"

step "kill -9 $killed_pid, 5 s into the load"
kill -USR1 "$load_pid" # from now on failures are the kill's
kill -KILL "$killed_pid"
t_kill=$(ft_now)
wait_pinfs_exit 10 || fail "pinfs survived SIGKILL"
# 5 s; 10 s under AddressSanitizer, whose process teardown (its shadow
# memory) is slower: the mount goes when the dead daemon's /dev/fuse closes.
limit=5
ft_asan && limit=10
released=
for ((i = 0; i < limit * 20; i++)); do
    if ! is_mounted "$MNT" && ! mountpoint -q -- "$MNT"; then
        released=$(ft_ms_since "$t_kill")
        break
    fi
    sleep 0.05
done
[[ -n "$released" ]] || fail "the mount point was not released within $limit s of SIGKILL (auto_unmount)"
step "mount point released $released ms after the kill"
rm -f -- "$PIT_WORK/mounts.d/$killed_pid"
sleep 0.5 # the load runs on against the bare directory for a moment
touch "$CASE_DIR/stop"
rc=0
wait "$load_pid" || rc=$?
cat -- "$CASE_DIR/load.out" >&2
((rc == 0)) || fail "load.py exited with status $rc (3: a worker hung)"
assert_eq "$(ls -A -- "$MNT")" "" "the directory under the released mount point"

step "the load's counts before the kill"
ft_assert_zero "$CASE_DIR/load.out" empty torn wrong vanished failed_eio failed_other read_errors slow_ops hung_workers
(($(grep -c '^problem:' "$CASE_DIR/load.out" || true) == 0)) || fail "load.py reported problems (above)"
acked=$(ft_field "$CASE_DIR/load.out" .acknowledged)
((acked >= 200)) || fail "only $acked writes were acknowledged before the kill"
after=$(ft_field "$CASE_DIR/load.out" .failed_after_kill)
((after >= 1)) || fail "no write failed after the kill: was the daemon killed mid-load?"
other_after=$(ft_field "$CASE_DIR/load.out" '[.detail | to_entries[] | select(.key | startswith("failed_after_kill_E")) | select(.key | test("_(ENOTCONN|ECONNABORTED|ENOENT)$") | not)] | map(.key) | join(",")')
assert_eq "$other_after" "" "errnos of writes failed by the kill other than ENOTCONN, ECONNABORTED, ENOENT"

step "every acknowledged write is in the database"
rc=0
ft_load check --state "$CASE_DIR/load.json" --psql "$PIT_PG_BIN/psql" --host "$PIT_PG_SOCK" --db "$CASE_DB" \
    >"$CASE_DIR/check-db.out" 2>&1 || rc=$?
cat -- "$CASE_DIR/check-db.out" >&2
((rc == 0)) || fail "check found lost, mismatched or phantom rows (above)"

step "a new mount sees every acknowledged write"
mount_pinfs -o auto_unmount
rc=0
ft_load check --state "$CASE_DIR/load.json" --psql "$PIT_PG_BIN/psql" --host "$PIT_PG_SOCK" --db "$CASE_DB" \
    --mnt "$MNT" >"$CASE_DIR/check.out" 2>&1 || rc=$?
cat -- "$CASE_DIR/check.out" >&2
((rc == 0)) || fail "the new mount misses or misreads acknowledged writes (above)"
ft_assert_zero "$CASE_DIR/check.out" lost mismatched phantom cur_bad mount_lost mount_mismatched
assert_eq "$(ft_field "$CASE_DIR/check.out" .mount_checked)" "$(ft_field "$CASE_DIR/check.out" .acknowledged_keys)" \
    "keys read through the new mount (every acknowledged key)"

ft_report "counts: released_after_ms=$released $(ft_field "$CASE_DIR/load.out" '"writes acknowledged=\(.acknowledged) failed_before_kill=\(.failed_eio + .failed_other) failed_after_kill=\(.failed_after_kill) reads_ok=\(.reads_ok) torn=\(.torn) wrong=\(.wrong)"') $(ft_field "$CASE_DIR/check.out" '"lost=\(.lost) mismatched=\(.mismatched) uncertain_committed=\(.uncertain_committed) uncertain_absent=\(.uncertain_absent) phantom=\(.phantom) seen_by_new_mount=\(.mount_checked)"')"
umount_pinfs
