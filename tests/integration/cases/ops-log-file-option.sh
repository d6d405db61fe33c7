# -o log=FILE: the daemon logs there, foreground or daemonized (not to
# stderr or syslog), one line per message with time, pid and level; a
# relative FILE is taken from the caller's directory even though the daemon
# then works in "/"; SIGHUP reopens it after a rotation; a symbolic link, a
# FIFO or a directory is refused before mounting, naming the reason, and
# leaves nothing mounted and the link's target untouched.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
write_config
line_re() { echo "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z pinfs\\[$1\\]: notice: memory_pin\\.invalid_json: write to \"acme/$2\" by uid 0 rejected$"; }
count() { grep -c -E -- "$1" "$2" 2>/dev/null || true; }
wait_count() {
    local i
    for ((i = 0; i < 50; i++)); do
        (($(count "$1" "$2") >= $3)) && return 0
        sleep 0.1
    done
    return 1
}

step "foreground (-f): the file, not stderr"
mkdir -p "$CASE_DIR/logs"
mount_pinfs -o "log=$CASE_DIR/logs/fg.log"
mkdir "$MNT/acme"
assert_eq "$(probe write-trunc "$MNT/acme/k1" 'nope')" "write=EINVAL close=EINVAL" "a refused write"
wait_count "$(line_re "$PINFS_PID" k1)" "$CASE_DIR/logs/fg.log" 1 || {
    cat "$CASE_DIR/logs/fg.log" >&2
    fail "the refusal is not in the log file"
}
assert_eq "$(count invalid_json "$PINFS_LOG")" 0 "refusal lines on stderr"
assert_eq "$(stat -c %a "$CASE_DIR/logs/fg.log")" 640 "a new log file's mode"
umount_pinfs

step "daemonized, with a relative path"
rc=0
"$PINFS" "$CONFIG" "$MNT" -o allow_other,log=logs/d.log >"$CASE_DIR/daemon.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "exit status of the daemonizing pinfs"
is_mounted "$MNT" || fail "not mounted when the daemonizing pinfs returned"
daemon=$(ops_pids_of_exe "$PINFS" "$MNT")
[[ $(wc -w <<<"$daemon") == 1 ]] || fail "expected one daemon, found '$daemon'"
echo "$MNT" >"$PIT_WORK/mounts.d/$daemon"
assert_eq "$(probe write-trunc "$MNT/acme/k2" 'nope')" "write=EINVAL close=EINVAL" "a refused write"
wait_count "$(line_re "$daemon" k2)" "$CASE_DIR/logs/d.log" 1 || {
    cat "$CASE_DIR/logs/d.log" >&2
    fail "the daemon's refusal is not in logs/d.log"
}

step "rotation: mv, SIGHUP, the next line goes to a new file"
mv "$CASE_DIR/logs/d.log" "$CASE_DIR/logs/d.log.1"
kill -HUP "$daemon"
rt_wait_until 5 test -f "$CASE_DIR/logs/d.log" || fail "SIGHUP did not reopen logs/d.log"
assert_eq "$(probe write-trunc "$MNT/acme/k3" 'nope')" "write=EINVAL close=EINVAL" "a refused write after the rotation"
wait_count "$(line_re "$daemon" k3)" "$CASE_DIR/logs/d.log" 1 || fail "the new file lacks the refusal"
assert_eq "$(count 'acme/k3' "$CASE_DIR/logs/d.log.1")" 0 "the rotated file got the new line"
assert_eq "$(count 'acme/k2' "$CASE_DIR/logs/d.log.1")" 1 "the rotated file keeps the old line"
fusermount3 -u "$MNT"
ops_wait_gone "$daemon" 10 || fail "the daemon still runs 10 s after the unmount"
rm -f -- "$PIT_WORK/mounts.d/$daemon"
assert_eq "$(cat "$CASE_DIR/daemon.out")" "" "the daemonizing pinfs's own output"

step "refused: a symbolic link, a FIFO, a directory"
echo precious >"$CASE_DIR/target"
ln -s "$CASE_DIR/target" "$CASE_DIR/logs/link.log"
mkfifo "$CASE_DIR/logs/fifo.log"
for bad in "link.log:is a symbolic link" "fifo.log:is not a regular file" ".:is not a regular file"; do
    name=${bad%%:*} why=${bad#*:}
    rc=0
    out=$(timeout 20 "$PINFS" "$CONFIG" "$MNT" -f -o "log=$CASE_DIR/logs/$name" 2>&1) || rc=$?
    assert_eq "$rc" 1 "exit status with log=$name"
    assert_match "$out" "^pinfs: log file \"$CASE_DIR/logs/$name\" $why" "the message for log=$name"
    is_mounted "$MNT" && fail "log=$name left $MNT mounted"
done
assert_eq "$(cat "$CASE_DIR/target")" precious "the link's target"
true
