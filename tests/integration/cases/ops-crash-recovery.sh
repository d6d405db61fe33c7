# Recovery from a crashed daemon, as the README tells it. Without
# auto_unmount a "kill -9" leaves a dead mount ("Transport endpoint is not
# connected", ENOTCONN) that "fusermount3 -u" clears, after which the same
# mount point mounts again with the pins intact. With auto_unmount the
# watchdog removes the dead mount by itself.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
write_config

step "kill -9 without auto_unmount leaves a dead mount"
mount_pinfs
mkdir "$MNT/acme"
echo '{"survives": true}' >"$MNT/acme/k"
kill -KILL "$PINFS_PID"
wait_pinfs_exit 10 || fail "pinfs survived SIGKILL"
is_mounted "$MNT" || fail "expected the dead mount to stay without auto_unmount"
assert_eq "$(probe readdir "$MNT")" ENOTCONN "readdir of the dead mount"
ls "$MNT" 2>"$CASE_DIR/ls.err" && fail "ls of the dead mount succeeded"
assert_match "$(cat "$CASE_DIR/ls.err")" 'Transport endpoint is not connected' "ls's message"

step "fusermount3 -u clears it, and the mount point mounts again"
fusermount3 -u "$MNT"
is_mounted "$MNT" && fail "still mounted after fusermount3 -u"
mount_pinfs -o auto_unmount
assert_content "$MNT/acme/k" <<'JSON'
{
  "survives": true
}
JSON

step "kill -9 with auto_unmount: the watchdog unmounts"
kill -KILL "$PINFS_PID"
wait_pinfs_exit 10 || fail "pinfs survived SIGKILL"
ops_wait_unmounted "$MNT" 10 || fail "auto_unmount left the dead mount for 10 s"
rm -f -- "$PIT_WORK/mounts.d/$PINFS_PID"
mount_pinfs -o auto_unmount
assert_eq "$(ls "$MNT/acme")" k "pins after the second crash"
umount_pinfs
true
