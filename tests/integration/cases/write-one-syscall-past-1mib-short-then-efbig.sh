# One write() larger than the kernel's largest FUSE request (1 MiB) that
# crosses max_value_bytes reaches pinfs as several requests: the ones before
# the limit are accepted, so write() returns that shorter count; the request
# that crosses fails the handle, and every later write, fsync and close is
# EFBIG, nothing is committed, the old value stays, and the audit records
# memory_pin.too_large (README "How writes work"). A write() of at most
# 1 MiB that crosses the limit fails outright.
mount_pinfs
mkdir "$MNT/acme"
echo '{"old": 1}' >"$MNT/acme/k"
python3 - "$MNT/acme/k" <<'PY'
import errno, os, sys
big = b'"' + b"a" * (1 << 20) + b'"'
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
n = os.write(fd, big)
assert 0 < n < len(big), "a write() of 1 MiB + 2 bytes returned %d" % n
for what, call in (("write", lambda: os.write(fd, big[n:])), ("fsync", lambda: os.fsync(fd)),
                   ("close", lambda: os.close(fd))):
    try:
        call()
        sys.exit(what + " after the short write succeeded")
    except OSError as e:
        assert e.errno == errno.EFBIG, (what, e)
# At most 1 MiB at a time: the write() that crosses fails itself.
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
os.write(fd, b'"' + b"a" * ((1 << 20) - 4096))
try:
    os.write(fd, b"a" * 8192)
    sys.exit("the crossing write() of 8 KiB succeeded")
except OSError as e:
    assert e.errno == errno.EFBIG, e
try:
    os.close(fd)
except OSError as e:
    assert e.errno == errno.EFBIG, e
PY
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"old": 1}' "the old value"
assert_eq "$(rb_poll 2 2 pg_sql "SELECT count(*) FROM system.memory_audit
    WHERE key = 'k' AND NOT success AND error_code = 'memory_pin.too_large' AND operation = 'upsert'")" 2 \
    "audited as too large, once per handle"
umount_pinfs
