# ln -s, ln (hard link), mkfifo and mknod in a tenant (and in the root) are
# EPERM; nothing is created.
mount_pinfs
mkdir "$MNT/acme"
echo '{"l":1}' >"$MNT/acme/k"

for cmd in "ln -s k $MNT/acme/sym" "ln $MNT/acme/k $MNT/acme/hard" "mkfifo $MNT/acme/fifo" \
    "mknod $MNT/acme/node p" "ln -s acme $MNT/rootsym" "mkfifo $MNT/rootfifo"; do
    # shellcheck disable=SC2086
    if err=$($cmd 2>&1); then
        fail "$cmd succeeded"
    fi
    assert_match "$err" 'Operation not permitted' "$cmd"
done
assert_eq "$(probe symlink k "$MNT/acme/sym")" EPERM "symlink(2)"
assert_eq "$(probe link "$MNT/acme/k" "$MNT/acme/hard")" EPERM "link(2)"
for n in sym hard fifo node; do
    assert_eq "$(probe stat "$MNT/acme/$n")" ENOENT "stat $n"
done
assert_eq "$(ls -A "$MNT/acme")" k "ls -A of the tenant"
assert_eq "$(ls -A "$MNT")" acme "ls -A of the root"
tool_assert_pins 'acme|k'
umount_pinfs
