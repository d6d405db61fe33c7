# mv across tenants onto a key that exists in the target tenant: rename(2)
# is EXDEV, mv copies over the target and deletes the source, without a
# warning. Exactly one pin remains, with the source's value.
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"from":"acme"}' >"$MNT/acme/k"
echo '{"from":"beta"}' >"$MNT/beta/k"
echo '1' >"$MNT/beta/stays"

err=$(mv "$MNT/acme/k" "$MNT/beta/k" 2>&1) || fail "mv failed: $err"
assert_eq "$err" "" "mv's stderr"
assert_eq "$(tool_value beta k)" '{"from": "acme"}' "target after mv"
tool_assert_pins 'beta|k' 'beta|stays'
assert_eq "$(ls "$MNT/acme")" "" "source tenant after mv"

# mv of a whole key into another tenant's directory (mv KEY DIR/).
echo '[2]' >"$MNT/acme/moved"
mv "$MNT/acme/moved" "$MNT/beta/"
tool_assert_pins 'beta|k' 'beta|moved' 'beta|stays'
umount_pinfs
