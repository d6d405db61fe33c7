# A valid prefix that never completes ('{"a":') is refused at close with
# EINVAL (cat and the probe report it) and the previous value stays.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":1}' >"$MNT/acme/k"

assert_eq "$(probe write-trunc "$MNT/acme/k" '{"a":')" "write=OK close=EINVAL" "probe"
if err=$(printf '{"a":' | cat 2>&1 >"$MNT/acme/k"); then
    fail "cat of an incomplete document succeeded"
fi
assert_match "$err" 'Invalid argument' "cat's message"
# fsync validates like close (editors report fsync errors).
assert_match "$(probe fsync-write "$MNT/acme/k" '{"a":[1,')" '^write=OK fsync=EINVAL ' "fsync"
# Two documents are not one document either (refused at write or at close).
assert_match "$(probe write-trunc "$MNT/acme/k" '1 2')" '^write=EINVAL|close=EINVAL$' "two values"

assert_content "$MNT/acme/k" <<'JSON'
{
  "v": 1
}
JSON
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"v": 1}' "stored value"
umount_pinfs
