# Bytes that can never begin a JSON document fail at write() with EINVAL
# (the only error bash's echo reports), and the previous value stays.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":1}' >"$MNT/acme/k"

if err=$(bash -c 'echo not-json >"$1"' _ "$MNT/acme/k" 2>&1); then
    fail "echo not-json > key succeeded"
fi
assert_match "$err" 'write error: Invalid argument' "bash's message"

out=$(probe write-trunc "$MNT/acme/k" 'not-json')
assert_match "$out" '^write=EINVAL ' "probe write-trunc not-json"
out=$(probe write-trunc "$MNT/acme/k" '{"a":1}}')
assert_match "$out" '^write=EINVAL ' "probe write-trunc with a trailing brace"

assert_content "$MNT/acme/k" <<'JSON'
{
  "v": 1
}
JSON
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"v": 1}' "stored value"
umount_pinfs
