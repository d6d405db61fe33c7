# cat > KEY: a valid document creates or replaces the pin; an incomplete
# one is reported by cat ("write error: Invalid argument", exit 1), keeps
# the old value and does not create a new key.
mount_pinfs
mkdir "$MNT/acme"
printf '{"c":1}' | cat >"$MNT/acme/k"
assert_eq "$(tool_value acme k)" '{"c": 1}' "created by cat >"
printf '{"c":2}' | cat >"$MNT/acme/k"
assert_eq "$(tool_value acme k)" '{"c": 2}' "replaced by cat >"

for dst in k new; do
    rc=0
    err=$(printf '{"c":' | cat 2>&1 >"$MNT/acme/$dst") || rc=$?
    assert_eq "$rc" 1 "cat's exit status ($dst)"
    assert_match "$err" '^cat: write error: Invalid argument$' "cat's message ($dst)"
done
assert_eq "$(tool_value acme k)" '{"c": 2}' "kept"
assert_eq "$(probe stat "$MNT/acme/new")" ENOENT "the new key"
tool_assert_pins 'acme|k'
umount_pinfs
