# Python sees an incomplete document as OSError EINVAL from close(), and the
# previous value stays.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":1}' >"$MNT/acme/k"
/usr/bin/python3 - "$MNT/acme/k" <<'PY'
import errno, sys
try:
    with open(sys.argv[1], "w") as f:
        f.write('{"a": [1, 2')
except OSError as e:
    assert e.errno == errno.EINVAL, e
else:
    sys.exit("no error for an incomplete JSON document")
PY
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"v": 1}' "stored value"
umount_pinfs
