# touch of an existing pin succeeds and changes nothing: same value, same
# updated_at (times are not stored; updated_at is the last write), same row.
mount_pinfs
mkdir "$MNT/acme"
echo '{"t":1}' >"$MNT/acme/k"
before=$(pg_sql "SELECT id, value::text, updated_at, source FROM system.memory_pins")
sleep 1.1

touch "$MNT/acme/k" || fail "touch failed"
touch -m -d '2001-02-03 04:05:06' "$MNT/acme/k" || fail "touch -d failed"
touch -a "$MNT/acme/k" || fail "touch -a failed"
assert_eq "$(pg_sql "SELECT id, value::text, updated_at, source FROM system.memory_pins")" "$before" "the row"
assert_content "$MNT/acme/k" <<'JSON'
{
  "t": 1
}
JSON
tool_assert_pins 'acme|k'
umount_pinfs
