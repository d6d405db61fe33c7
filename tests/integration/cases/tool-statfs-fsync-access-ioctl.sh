# What tools ask besides read and write: statfs (df, stat -f, os.statvfs)
# answers, with room for 255-byte names; access() answers R/W but not X on a
# pin; ioctl(TCGETS) on a pin is ENOTTY (isatty is false); fsync commits the
# staged value while the file stays open; fsync of a clean handle or of a
# tenant directory succeeds.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":1}' >"$MNT/acme/k"

df "$MNT" >/dev/null || fail "df failed"
assert_match "$(stat -f -c %T "$MNT")" '^fuse' "stat -f type"
mkfifo ready go
/usr/bin/python3 - "$MNT" <<'PY' &
import errno, fcntl, os, sys, termios
mnt = sys.argv[1]
k = os.path.join(mnt, "acme", "k")

def handshake(what):
    with open("ready", "w") as r:
        r.write(what + "\n")
    with open("go") as g:
        g.readline()

sv = os.statvfs(mnt)
assert sv.f_bsize > 0, sv
assert sv.f_namemax >= 255, sv
os.statvfs(os.path.join(mnt, "acme"))

assert os.access(k, os.R_OK | os.W_OK)
assert os.access(k, os.F_OK)
assert not os.access(k, os.X_OK), "a pin is executable"
assert os.access(os.path.join(mnt, "acme"), os.R_OK | os.W_OK | os.X_OK)

fd = os.open(k, os.O_WRONLY | os.O_TRUNC)
try:
    fcntl.ioctl(fd, termios.TCGETS, bytes(64))
except OSError as e:
    assert e.errno == errno.ENOTTY, e
else:
    sys.exit("ioctl(TCGETS) on a pin succeeded")
assert not os.isatty(fd)
os.write(fd, b'{"v": 2}')
handshake("written")
os.fsync(fd)
handshake("fsynced")
os.fdatasync(fd)
os.close(fd)

fd = os.open(k, os.O_RDONLY)
os.fsync(fd)    # nothing staged: succeeds, changes nothing
os.close(fd)
dfd = os.open(os.path.join(mnt, "acme"), os.O_RDONLY | os.O_DIRECTORY)
os.fsync(dfd)
os.close(dfd)
PY
py=$!
tool_bg "$py"
assert_eq "$(tool_fifo_wait ready)" written "python's progress"
assert_eq "$(tool_value acme k)" '{"v": 1}' "stored value after write(), before fsync"
tool_fifo_send go
assert_eq "$(tool_fifo_wait ready)" fsynced "python's progress"
assert_eq "$(tool_value acme k)" '{"v": 2}' "stored value after fsync, file still open"
tool_fifo_send go
wait "$py" || fail "the python part failed"
assert_eq "$(tool_value acme k)" '{"v": 2}' "stored value"
tool_assert_pins 'acme|k'
umount_pinfs
