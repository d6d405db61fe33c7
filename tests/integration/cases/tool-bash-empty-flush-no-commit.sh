# bash's ': > KEY' (open O_TRUNC, then close with nothing written) neither
# commits nor fails: an existing pin keeps its value and updated_at, a new
# name creates nothing. exec 3> ... 3>&- behaves the same. A following
# echo > KEY (whose first flush is also empty) commits as usual.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":1}' >"$MNT/acme/k"
before=$(pg_sql "SELECT value::text, updated_at FROM system.memory_pins")

: >"$MNT/acme/k" || fail ": > k failed"
assert_eq "$(pg_sql "SELECT value::text, updated_at FROM system.memory_pins")" "$before" "row after : > k"
assert_content "$MNT/acme/k" <<'JSON'
{
  "v": 1
}
JSON
bash -c 'exec 3>"$1"; exec 3>&-' _ "$MNT/acme/k" || fail "exec 3> k failed"
assert_eq "$(pg_sql "SELECT value::text, updated_at FROM system.memory_pins")" "$before" "row after exec 3> k"

: >"$MNT/acme/new" || fail ": > new failed"
assert_eq "$(probe stat "$MNT/acme/new")" ENOENT "stat of a new name after : >"
tool_assert_pins 'acme|k'

echo '{"v":2}' >"$MNT/acme/k"
assert_eq "$(tool_value acme k)" '{"v": 2}' "value after echo >"
tool_assert_pins 'acme|k'
umount_pinfs
