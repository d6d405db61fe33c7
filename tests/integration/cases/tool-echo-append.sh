# O_APPEND appends to the handle's staged buffer:
# - one open in append mode that writes '[1,' and then ' 2]' (two write()
#   calls) commits [1, 2] at close; in between, nothing is in the database
#   and another reader's open is ENOENT (it never sees the staged bytes);
# - echo >> of a blank line onto a pin keeps it valid (same value);
# - echo >> of a second document makes the content invalid: bash reports
#   "write error: Invalid argument" and the old value stays;
# - appending '3]' to a complete pin through Python fails with EINVAL.
mount_pinfs
mkdir "$MNT/acme"

mkfifo ready go
/usr/bin/python3 - "$MNT/acme/list" <<'PY' &
import sys
with open(sys.argv[1], "a") as f:
    f.write("[1,")
    f.flush()   # one write() syscall; the second one follows
    with open("ready", "w") as r:
        r.write("half\n")
    with open("go") as g:
        g.readline()
    f.write(" 2]")
PY
py=$!
tool_bg "$py"
assert_eq "$(tool_fifo_wait ready)" half "python's progress"
tool_assert_pins
# Another reader never sees staged bytes: the key is not committed yet, so
# it does not exist for any other open that reads (same uid included).
assert_eq "$(probe open-r "$MNT/acme/list")" ENOENT "read of the half-written key by another process"
tool_fifo_send go
wait "$py" || fail "the python append failed"
assert_eq "$(tool_value acme list)" '[1, 2]' "value built by two appends"

echo '"ab"' >"$MNT/acme/s"
echo >>"$MNT/acme/s" || fail "echo >> of a blank line failed"
assert_eq "$(tool_value acme s)" '"ab"' "value after appending a blank line"

if err=$(bash -c 'echo "{\"x\":1}" >>"$1"' _ "$MNT/acme/s" 2>&1); then
    fail "echo >> of a second document succeeded"
fi
assert_match "$err" 'write error: Invalid argument' "bash's message"
assert_eq "$(tool_value acme s)" '"ab"' "value after a refused append"

/usr/bin/python3 - "$MNT/acme/list" <<'PY'
import errno, sys
try:
    with open(sys.argv[1], "a") as f:
        f.write("3]")
except OSError as e:
    assert e.errno == errno.EINVAL, e
else:
    sys.exit("appending 3] to a complete array succeeded")
PY
assert_eq "$(tool_value acme list)" '[1, 2]' "value after a refused Python append"
tool_assert_pins 'acme|list' 'acme|s'
umount_pinfs
