# Python's atomic-replace idiom with content that is not one JSON document
# fails where Python reports it (OSError EINVAL from the temporary's fsync or
# close; the script exits non-zero) and never reaches os.replace: the pin
# keeps its old value, and the tmpXXXXXXXX temporary does not outlive the
# writer as a pin (no row, not listed), nor does a valid temporary whose
# writer exits before the rename. (pinfs keeps an abandoned temporary
# in memory for its creator uid for a while, in case a rename still comes:
# that is not a pin, so a stat by the creator is not checked here.)
mount_pinfs
mkdir "$MNT/acme"
echo '{"gen":1}' >"$MNT/acme/cfg"

run_idiom()
{
    /usr/bin/python3 - "$MNT/acme" "$1" "$2" <<'PY'
import os, sys, tempfile
d, content, sync = sys.argv[1], sys.argv[2], sys.argv[3] == "fsync"
with tempfile.NamedTemporaryFile("w", dir=d, delete=False) as f:
    print(os.path.basename(f.name), flush=True)
    f.write(content)
    f.flush()
    if sync:
        os.fsync(f.fileno())
os.replace(f.name, os.path.join(d, "cfg"))
PY
}

for mode in fsync close; do
    rc=0
    out=$(run_idiom '{"gen": 2, "broken": [' $mode 2>err.txt) || rc=$?
    assert_eq "$rc" 1 "python's exit status ($mode)"
    assert_match "$(cat err.txt)" 'OSError: \[Errno 22\] Invalid argument' "python's error ($mode)"
    assert_match "$out" '^tmp[a-z0-9_]{8}$' "temporary name ($mode)"
    assert_eq "$(ls -A "$MNT/acme")" cfg "ls -A after the failed idiom ($mode)"
    tool_assert_pins 'acme|cfg'
    assert_eq "$(tool_value acme cfg)" '{"gen": 1}' "stored value ($mode)"
done

# Bytes that cannot start a document fail at the first write (flush()).
rc=0
out=$(run_idiom 'gen = 3' fsync 2>err.txt) || rc=$?
assert_eq "$rc" 1 "python's exit status (not JSON)"
assert_match "$(cat err.txt)" 'Invalid argument' "python's error (not JSON)"
assert_match "$out" '^tmp[a-z0-9_]{8}$' "temporary name (not JSON)"

# A valid temporary whose writer dies before os.replace is no pin either.
out=$(/usr/bin/python3 - "$MNT/acme" <<'PY2'
import os, sys, tempfile
with tempfile.NamedTemporaryFile("w", dir=sys.argv[1], delete=False) as f:
    f.write('{"gen": 4}')
    f.flush()
    os.fsync(f.fileno())
print(os.path.basename(f.name))
os._exit(3)
PY2
) || true
assert_match "$out" '^tmp[a-z0-9_]{8}$' "temporary name (never renamed)"

assert_eq "$(tool_value acme cfg)" '{"gen": 1}' "stored value"
assert_eq "$(ls -A "$MNT/acme")" cfg "ls -A of the tenant"
tool_assert_pins 'acme|cfg'
umount_pinfs
