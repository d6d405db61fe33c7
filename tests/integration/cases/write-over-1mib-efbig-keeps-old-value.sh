# A 2 MiB value fails with EFBIG (the write that crosses 1 MiB, then the
# close), and the previous value stays.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":1}' >"$MNT/acme/k"
{
    printf '"'
    head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' a
    printf '"'
} >big.json

assert_eq "$(probe write-trunc "$MNT/acme/k" - <big.json)" "write=EFBIG close=EFBIG" "probe"
if err=$(cat big.json 2>&1 >"$MNT/acme/k"); then
    fail "cat of a 2 MiB value succeeded"
fi
assert_match "$err" 'File too large' "cat's message"

assert_content "$MNT/acme/k" <<'JSON'
{
  "v": 1
}
JSON
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"v": 1}' "stored value"
# A new key that is too large is not created at all.
assert_eq "$(probe write-trunc "$MNT/acme/big" - <big.json)" "write=EFBIG close=EFBIG" "new key"
assert_eq "$(probe stat "$MNT/acme/big")" ENOENT "too-large new key"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 1 "rows"
umount_pinfs
