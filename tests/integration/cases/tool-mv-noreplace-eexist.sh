# RENAME_NOREPLACE: onto an existing key EEXIST and nothing changes (renameat2
# and mv --no-clobber); onto a free key it renames. RENAME_EXCHANGE either
# swaps both values or is refused with EINVAL, never half of it.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":"a"}' >"$MNT/acme/a"
echo '{"v":"b"}' >"$MNT/acme/b"

assert_eq "$(probe rename-noreplace "$MNT/acme/a" "$MNT/acme/b")" EEXIST "renameat2 NOREPLACE onto b"
mv -n "$MNT/acme/a" "$MNT/acme/b" 2>/dev/null || true
assert_eq "$(tool_value acme a)" '{"v": "a"}' "a after mv -n"
assert_eq "$(tool_value acme b)" '{"v": "b"}' "b after mv -n"
tool_assert_pins 'acme|a' 'acme|b'

assert_eq "$(probe rename-noreplace "$MNT/acme/a" "$MNT/acme/c")" OK "renameat2 NOREPLACE onto a free name"
assert_eq "$(tool_value acme c)" '{"v": "a"}' "c"
tool_assert_pins 'acme|b' 'acme|c'

out=$(probe rename-exchange "$MNT/acme/b" "$MNT/acme/c")
step "RENAME_EXCHANGE answered $out"
case $out in
OK)
    assert_eq "$(tool_value acme b)" '{"v": "a"}' "b after RENAME_EXCHANGE"
    assert_eq "$(tool_value acme c)" '{"v": "b"}' "c after RENAME_EXCHANGE"
    ;;
EINVAL)
    assert_eq "$(tool_value acme b)" '{"v": "b"}' "b after a refused RENAME_EXCHANGE"
    assert_eq "$(tool_value acme c)" '{"v": "a"}' "c after a refused RENAME_EXCHANGE"
    ;;
*) fail "RENAME_EXCHANGE answered $out (expected OK or EINVAL)" ;;
esac
tool_assert_pins 'acme|b' 'acme|c'
umount_pinfs
