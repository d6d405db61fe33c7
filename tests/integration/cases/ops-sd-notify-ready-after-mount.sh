# The systemd readiness protocol on a NOTIFY_SOCKET (what a Type=notify
# pinfs@.service relies on): READY=1 arrives only once the mount exists and
# answers, STATUS= lines come before it and after each reload (accepted or
# refused), STOPPING=1 comes before the unmount, and no child of pinfs (the
# auto_unmount watchdog) inherits NOTIFY_SOCKET. A daemonized pinfs reports
# its own pid in MAINPID=. A backend that does not answer means no READY=1
# and a non-zero exit.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"

sock="$CASE_DIR/notify.sock"
notes="$CASE_DIR/notify.log"
write_config

step "foreground, with auto_unmount: READY=1 after the mount exists and answers"
ops_notify_listen "$sock" "$notes"
NOTIFY_SOCKET=$sock start_pinfs -o auto_unmount
ops_wait_line "$notes" '^READY=1 ' 15 || fail "no READY=1 within 15 s"
assert_eq "$(grep -m1 '^READY=1 ' "$notes")" "READY=1 mounted=1 listed=1" "state when READY=1 arrived"
is_mounted "$MNT" || fail "not mounted after READY=1"
# Sent before the mount: proves the socket was in use before READY=1 too.
assert_match "$(head -n 2 "$notes" | tail -n 1)" '^STATUS=connecting to the backends of 1 route mounted=0 ' \
    "first notification"
assert_match "$(cat "$notes")" "STATUS=serving 1 route from $CONFIG on $MNT mounted=1" "STATUS after READY"
assert_match "$(cat "$notes")" "MAINPID=$PINFS_PID mounted=1" "MAINPID of a foreground pinfs"
assert_eq "$(grep -c '^READY=1 ' "$notes")" 1 "READY=1 count"

step "the auto_unmount watchdog did not inherit NOTIFY_SOCKET"
kids=$(ops_children "$PINFS_PID")
[[ -n "$kids" ]] || fail "pinfs -o auto_unmount has no child (expected the fusermount3 watchdog)"
for k in $kids; do
    echo "child $k: $(tr '\0' ' ' <"/proc/$k/cmdline")" >&2
    if tr '\0' '\n' <"/proc/$k/environ" | grep -q '^NOTIFY_SOCKET='; then
        fail "child $k of pinfs inherited NOTIFY_SOCKET"
    fi
done
# ... while pinfs itself was started with it (so the check above means something).
tr '\0' '\n' <"/proc/$PINFS_PID/environ" | grep -q "^NOTIFY_SOCKET=$sock\$" ||
    fail "pinfs was not started with NOTIFY_SOCKET"

step "SIGHUP: a STATUS= line for the reload"
kill -HUP "$PINFS_PID"
ops_wait_line "$notes" '^STATUS=reloaded .* 1 route mounted=1' 10 || fail "no STATUS= after SIGHUP"

step "a broken config: a STATUS= line saying the reload was refused"
cp "$CONFIG" "$CASE_DIR/good.json"
echo '{"mode": "saas", "routes": [' >"$CASE_DIR/broken.json"
cp "$CASE_DIR/broken.json" "$CONFIG"
kill -HUP "$PINFS_PID"
ops_wait_line "$notes" '^STATUS=reload refused .*serving the last good config' 10 ||
    fail "no STATUS= for the refused reload"
allow_stderr '.*reload refused.*'
cp "$CASE_DIR/good.json" "$CONFIG"
is_mounted "$MNT" || fail "the refused reload unmounted"

step "SIGTERM: STOPPING=1 while still mounted, then unmount and exit 0"
kill -TERM "$PINFS_PID"
wait_pinfs_exit 15 || fail "pinfs still runs 15 s after SIGTERM"
assert_eq "$PINFS_RC" 0 "exit status after SIGTERM"
ops_wait_line "$notes" '^STOPPING=1 mounted=1' 5 || fail "no STOPPING=1 before the unmount"
is_mounted "$MNT" && fail "still mounted after SIGTERM"
check_daemon_log "$PINFS_LOG"
for k in $kids; do
    ops_wait_gone "$k" 10 || fail "the watchdog (pid $k) outlived pinfs"
done

step "daemonized: READY=1 with the daemon's pid in MAINPID"
: >"$notes.2"
kill -TERM "$OPS_LISTENER_PID" 2>/dev/null || true
ops_notify_listen "$sock" "$notes.2"
rc=0
NOTIFY_SOCKET=$sock "$PINFS" "$CONFIG" "$MNT" -o allow_other >"$CASE_DIR/daemon.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "exit status of the daemonizing pinfs"
is_mounted "$MNT" || fail "not mounted when the daemonizing pinfs returned"
daemon=$(ops_pids_of_exe "$PINFS" "$MNT")
[[ $(wc -w <<<"$daemon") == 1 ]] || fail "expected one daemon, found '$daemon'"
echo "$MNT" >"$PIT_WORK/mounts.d/$daemon"
ops_wait_line "$notes.2" "^MAINPID=$daemon mounted=1" 10 || fail "no MAINPID=$daemon"
assert_eq "$(grep -m1 '^READY=1 ' "$notes.2")" "READY=1 mounted=1 listed=1" "state when READY=1 arrived"
kill -TERM "$daemon"
ops_wait_gone "$daemon" 15 || fail "the daemon still runs 15 s after SIGTERM"
ops_wait_line "$notes.2" '^STOPPING=1 ' 5 || fail "no STOPPING=1 from the daemon"
is_mounted "$MNT" && fail "still mounted after SIGTERM to the daemon"
rm -f -- "$PIT_WORK/mounts.d/$daemon"

step "a backend that does not answer: no READY=1, exit 1"
: >"$notes.3"
kill -TERM "$OPS_LISTENER_PID" 2>/dev/null || true
ops_notify_listen "$sock" "$notes.3"
use_empty_db
rc=0
NOTIFY_SOCKET=$sock timeout 30 "$PINFS" "$CONFIG" "$MNT" -f -o allow_other >"$CASE_DIR/bad.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit status with an unmigrated database"
ops_wait_line "$notes.3" '^STATUS=could not start: .*pinctl migrate up' 5 || fail "no STATUS= naming the fix"
if grep -q '^READY=1' "$notes.3"; then
    fail "READY=1 sent although the backend did not answer its schema check"
fi
is_mounted "$MNT" && fail "mounted although the backend failed"
true
