# O_APPEND appends to the handle's staged buffer:
# - one open in append mode that writes '[1,' and then '2]' commits [1,2]
#   at close, and nothing is visible before the close;
# - echo >> of a blank line onto a pin keeps it valid (same value);
# - echo >> of a second document makes the content invalid: bash reports
#   "write error: Invalid argument" and the old value stays;
# - appending to a complete pin through Python fails at once (EINVAL).
mount_pinfs
mkdir "$MNT/acme"

/usr/bin/python3 - "$MNT/acme/list" "$CASE_DB" "$PIT_PG_BIN/psql" "$PIT_PG_SOCK" <<'PY'
import subprocess, sys
path, db, psql, sock = sys.argv[1:]
rows = [psql, "-XAtq", "-h", sock, "-d", db, "-c", "SELECT count(*) FROM system.memory_pins"]
with open(path, "a") as f:
    f.write("[1,")
    f.flush()
    # A separate write() syscall follows; nothing is committed or readable yet.
    assert subprocess.run(rows, capture_output=True, text=True).stdout.strip() == "0", "committed before close"
    seen = subprocess.run(["cat", path], capture_output=True, text=True).stdout
    assert "[1," not in seen, "another reader saw the staged bytes: " + repr(seen)
    f.write(" 2]")
PY
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
