# SIGTERM (what systemd and "kill" send) and SIGINT unmount cleanly and exit
# 0, even with a process working in the mount; SIGHUP reloads and keeps the
# mount. Foreground (exit status observed) and daemonized (the daemon goes
# away and takes its mount with it); with auto_unmount its watchdog exits
# too.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
write_config

step "foreground: SIGHUP keeps the mount, SIGTERM with an open file unmounts, exit 0"
mount_pinfs
mkdir "$MNT/acme"
echo '{"v": 1}' >"$MNT/acme/k"
kill -HUP "$PINFS_PID"
sleep 0.5
pid_running "$PINFS_PID" || fail "pinfs died on SIGHUP"
is_mounted "$MNT" || fail "SIGHUP unmounted"
assert_content "$MNT/acme/k" <<'JSON'
{
  "v": 1
}
JSON
# A busy mount (a process working in it) must not stop the unmount.
(cd "$MNT/acme" && exec sleep 60) &
busy=$!
ops_bg "$busy"
sleep 0.2
[[ "$(readlink "/proc/$busy/cwd")" == "$MNT/acme" ]] || fail "the busy process is not in the mount"
kill -TERM "$PINFS_PID"
wait_pinfs_exit 15 || fail "pinfs still runs 15 s after SIGTERM"
kill -TERM "$busy"
assert_eq "$PINFS_RC" 0 "exit status after SIGTERM"
is_mounted "$MNT" && fail "still mounted after SIGTERM"
check_daemon_log "$PINFS_LOG"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"v": 1}' "the pin survives"

step "foreground: SIGINT, exit 0"
# A non-interactive shell starts background jobs with SIGINT ignored, and
# libfuse (rightly) leaves an inherited SIG_IGN alone: restore the default,
# as a service manager or a terminal gives it.
PIT_MOUNT_SEQ=$((PIT_MOUNT_SEQ + 1))
PINFS_LOG="$CASE_DIR/pinfs-$PIT_MOUNT_SEQ.log"
env --default-signal=INT "$PINFS" "$CONFIG" "$MNT" -f -o allow_other </dev/null >"$PINFS_LOG" 2>&1 &
PINFS_PID=$!
echo "$MNT" >"$PIT_WORK/mounts.d/$PINFS_PID"
for ((i = 0; i < 200; i++)); do
    is_mounted "$MNT" && break
    sleep 0.05
done
is_mounted "$MNT" || fail "pinfs did not mount within 10 s"
kill -INT "$PINFS_PID"
wait_pinfs_exit 15 || fail "pinfs still runs 15 s after SIGINT"
assert_eq "$PINFS_RC" 0 "exit status after SIGINT"
is_mounted "$MNT" && fail "still mounted after SIGINT"

step "foreground with auto_unmount: SIGTERM ends the watchdog too"
mount_pinfs -o auto_unmount
kids=$(ops_children "$PINFS_PID")
[[ -n "$kids" ]] || fail "no auto_unmount watchdog"
kill -TERM "$PINFS_PID"
wait_pinfs_exit 15 || fail "pinfs still runs 15 s after SIGTERM"
assert_eq "$PINFS_RC" 0 "exit status after SIGTERM (auto_unmount)"
is_mounted "$MNT" && fail "still mounted after SIGTERM (auto_unmount)"
for k in $kids; do
    ops_wait_gone "$k" 10 || fail "the auto_unmount watchdog (pid $k) outlived pinfs"
done

step "daemonized: SIGTERM takes the daemon and its mount away"
"$PINFS" "$CONFIG" "$MNT" -o allow_other,auto_unmount >"$CASE_DIR/daemon.out" 2>&1 ||
    fail "the daemonizing pinfs failed: $(cat "$CASE_DIR/daemon.out")"
is_mounted "$MNT" || fail "not mounted when the daemonizing pinfs returned"
daemon=$(ops_pids_of_exe "$PINFS" "$MNT")
[[ $(wc -w <<<"$daemon") == 1 ]] || fail "expected one daemon, found '$daemon'"
echo "$MNT" >"$PIT_WORK/mounts.d/$daemon"
assert_eq "$(ls "$MNT/acme")" k "listing through the daemon"
kill -HUP "$daemon"
sleep 0.5
is_mounted "$MNT" || fail "SIGHUP unmounted the daemon's mount"
kill -TERM "$daemon"
ops_wait_gone "$daemon" 15 || fail "the daemon still runs 15 s after SIGTERM"
is_mounted "$MNT" && fail "still mounted after SIGTERM to the daemon"
rm -f -- "$PIT_WORK/mounts.d/$daemon"
true
