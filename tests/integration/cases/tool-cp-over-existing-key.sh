# cp over an existing key replaces its value (from outside the mount, and
# from another pin inside the mount, where the kernel copy falls back to
# read/write); cp of a pin to a new key creates exactly that key; cp -f and
# cp --preserve=mode,timestamps work too. No other pin appears.
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"v":"old"}' >"$MNT/acme/dst"
echo '{"v":"src"}' >"$MNT/acme/src"
printf '{"v":"from-outside","n":[1,2]}\n' >in.json

cp in.json "$MNT/acme/dst"
assert_eq "$(tool_value acme dst)" '{"n": [1, 2], "v": "from-outside"}' "dst after cp from outside"

cp "$MNT/acme/src" "$MNT/acme/dst"
assert_eq "$(tool_value acme dst)" '{"v": "src"}' "dst after cp from another pin"
assert_file_eq "$MNT/acme/dst" "$MNT/acme/src"

cp "$MNT/acme/src" "$MNT/beta/dst"
assert_eq "$(tool_value beta dst)" '{"v": "src"}' "cp across tenants to a new key"

printf '[true]\n' >in2.json
cp -f --preserve=mode,timestamps in2.json "$MNT/beta/dst"
assert_eq "$(tool_value beta dst)" '[true]' "cp -f --preserve over an existing key"

tool_assert_pins 'acme|dst' 'acme|src' 'beta|dst'
assert_eq "$(tool_value acme src)" '{"v": "src"}' "the source pin is untouched"
umount_pinfs
