# truncate -s N through a handle is staged and validated at close:
# - to a length that leaves one valid document, it commits that document
#   (12345 cut to 3 bytes is 123);
# - to 0 or into the middle of a document: "truncate: failed to close ...:
#   Invalid argument", exit 1, old value kept;
# - growing (NUL bytes) is refused the same way.
mount_pinfs
mkdir "$MNT/acme"
echo '12345' >"$MNT/acme/n"
echo '"abcdefgh"' >"$MNT/acme/s"

truncate -s 3 "$MNT/acme/n" || fail "truncate -s 3 of 12345 failed"
assert_eq "$(tool_value acme n)" 123 "value after truncate -s 3"
assert_eq "$(cat "$MNT/acme/n")" 123 "read after truncate -s 3"

for size in 0 5 40; do
    rc=0
    err=$(truncate -s $size "$MNT/acme/s" 2>&1) || rc=$?
    assert_eq "$rc" 1 "truncate -s $size exit status"
    assert_match "$err" "^truncate: failed to close '.*/acme/s': Invalid argument$" "truncate -s $size message"
    assert_eq "$(tool_value acme s)" '"abcdefgh"' "value after truncate -s $size"
done
assert_eq "$(probe stat "$MNT/acme/s")" "OK 11" "size after the refused truncates"
tool_assert_pins 'acme|n' 'acme|s'
umount_pinfs
