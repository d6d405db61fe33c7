# sed -i whose result is not JSON fails the way sed reports a failed close
# of its temporary ("couldn't close ./sedXXXXXX: Invalid argument", exit 4):
# the pin keeps its old value, the sedXXXXXX temporary never becomes a pin,
# and a later valid sed -i on the same pin still works.
mount_pinfs
mkdir "$MNT/acme"
echo '{"rpm":100}' >"$MNT/acme/limits"
echo '{"x":1}' >"$MNT/acme/other"

rc=0
err=$(sed -i 's/}//' "$MNT/acme/limits" 2>&1) || rc=$?
assert_eq "$rc" 4 "sed's exit status (an I/O error)"
assert_match "$err" "^sed: couldn't close [^ ]*sed[A-Za-z0-9]{6}: Invalid argument$" "sed's message"
assert_eq "$(tool_value acme limits)" '{"rpm": 100}' "stored value"
tool_assert_pins 'acme|limits' 'acme|other'
assert_eq "$(ls -A "$MNT/acme")" $'limits\nother' "ls -A of the tenant"

# Bytes that cannot start a document fail at write(): also exit 4.
rc=0
err=$(sed -i 's/^.*$/nope/' "$MNT/acme/limits" 2>&1) || rc=$?
assert_eq "$rc" 4 "sed's exit status for a non-JSON result"
assert_match "$err" 'Invalid argument' "sed's message for a non-JSON result"
assert_eq "$(tool_value acme limits)" '{"rpm": 100}' "stored value after the second failure"

sed -i 's/100/101/' "$MNT/acme/limits"
assert_eq "$(tool_value acme limits)" '{"rpm": 101}' "stored value after a valid sed -i"
tool_assert_pins 'acme|limits' 'acme|other'
assert_eq "$(ls -A "$MNT/acme")" $'limits\nother' "ls -A at the end"
umount_pinfs
