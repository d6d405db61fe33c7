# touch NEWKEY succeeds and creates nothing: no pin exists until a JSON
# value is committed (no row, no listing, stat is ENOENT). A value written
# afterwards creates the pin as usual.
mount_pinfs
mkdir "$MNT/acme"
echo '1' >"$MNT/acme/existing"

touch "$MNT/acme/new" || fail "touch of a new name failed"
assert_eq "$(probe stat "$MNT/acme/new")" ENOENT "stat after touch"
assert_eq "$(ls -A "$MNT/acme")" existing "ls -A after touch"
tool_assert_pins 'acme|existing'

# touch of several new names at once, and touch -c (no create) of a missing one.
touch "$MNT/acme/n1" "$MNT/acme/n2" || fail "touch of two new names failed"
touch -c "$MNT/acme/n3" || fail "touch -c of a missing name failed"
tool_assert_pins 'acme|existing'
assert_eq "$(ls -A "$MNT/acme")" existing "ls -A after more touches"

echo '{"now":"real"}' >"$MNT/acme/new"
tool_assert_pins 'acme|existing' 'acme|new'
assert_eq "$(tool_value acme new)" '{"now": "real"}' "value written after the touch"
umount_pinfs
