# A lock never outlives its holder. With 2 mounts of one PostgreSQL
# database (and of one SQLite file), a flock taken through mount A is
# released for mount B, within 5 s, when:
#   - the holding process is killed with SIGKILL (the kernel's RELEASE);
#   - mount A's daemon is killed with SIGKILL (its PostgreSQL sessions end,
#     its SQLite lock file descriptors close) — a waiter on B then gets it;
#   - PostgreSQL restarts (every session ends), after which both mounts
#     take and release locks again with no remount.
# No advisory lock is left in pg_locks at the end.
ft_trap
db=$CASE_DIR/db/pins.db
rt_config saas "lab=$(rt_sqlite_uri "$db")" "*=$(rt_pg_uri)"
rt_migrate
mount_pinfs -o auto_unmount
A=$MNT A_PID=$PINFS_PID
mkdir "$A/acme" "$A/lab"
echo 0 >"$A/acme/p"
echo 0 >"$A/lab/p"
MNT=$CASE_DIR/mnt-b
mount_pinfs
B=$MNT B_PID=$PINFS_PID B_LOG=$PINFS_LOG
advisory() { pg_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"; }

step "the holding process dies"
for t in acme lab; do
    lk_hold "$A/$t/p" flock-ex
    ft_bg "$LK_PID"
    assert_eq "$(probe flock "$B/$t/p" ex-nb)" EWOULDBLOCK "$t: held through A"
    lk_stop "$LK_PID"
    rt_wait_until 5 lk_free "$B/$t/p" || fail "$t: the lock outlived its killed holder"
done
assert_eq "$(advisory)" 0 "advisory locks after the holders died"

step "the holding daemon dies; a waiter on B gets the lock"
lk_hold "$A/acme/p" flock-ex
ft_bg "$LK_PID"
holder_a=$LK_PID
lk_hold "$A/lab/p" fcntl-wr
ft_bg "$LK_PID"
holder_b=$LK_PID
assert_eq "$(advisory)" 1 "advisory locks while A holds one"
flock "$B/acme/p" -c "echo got >'$CASE_DIR/waiter.out'" &
waiter=$!
ft_bg "$waiter"
sleep 0.5
pid_running "$waiter" || fail "the waiter on B did not wait"
kill -KILL "$A_PID"
MNT=$A PINFS_PID=$A_PID
wait_pinfs_exit 10 || fail "pinfs survived SIGKILL"
wait "$waiter" || fail "the waiter on B failed"
assert_eq "$(cat "$CASE_DIR/waiter.out")" got "the waiter on B ran"
rt_wait_until 5 lk_free "$B/lab/p" || fail "lab: the fcntl lock outlived its daemon"
lk_stop "$holder_a"
lk_stop "$holder_b"
rt_wait_until 10 sh -c "! mountpoint -q '$A'" || fail "mount A was not released (auto_unmount)"
rm -f -- "$PIT_WORK/mounts.d/$A_PID"
assert_eq "$(advisory)" 0 "advisory locks after the daemon died"

step "PostgreSQL restarts"
mount_pinfs
A_PID=$PINFS_PID A_LOG=$PINFS_LOG
lk_hold "$A/acme/p" flock-ex
ft_bg "$LK_PID"
holder_a=$LK_PID
assert_eq "$(probe flock "$B/acme/p" ex-nb)" EWOULDBLOCK "held through A before the restart"
ft_pg_restart
rt_wait_until 10 lk_free "$B/acme/p" || fail "the lock outlived the PostgreSQL restart"
lk_stop "$holder_a"
lk_hold "$A/acme/p" flock-ex
assert_eq "$(probe flock "$B/acme/p" ex-nb)" EWOULDBLOCK "A locks again after the restart"
lk_stop "$LK_PID"
rt_wait_until 5 lk_free "$B/acme/p" || fail "the new lock was not released"
assert_eq "$(advisory)" 0 "advisory locks at the end"
allow_stderr '.*could not connect to .*'
allow_stderr '.*change feed of .* lost its connection'
MNT=$B PINFS_PID=$B_PID PINFS_LOG=$B_LOG
umount_pinfs
MNT=$A PINFS_PID=$A_PID PINFS_LOG=$A_LOG
umount_pinfs
