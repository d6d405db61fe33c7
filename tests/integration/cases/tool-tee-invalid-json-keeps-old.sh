# tee reports content that is not one JSON document ("tee: FILE: Invalid
# argument", exit 1), at the write (not JSON at all) or at the close (an
# incomplete document); the pin keeps its old value and a new key written
# with bad content is not created. tee into two pins at once stores both.
mount_pinfs
mkdir "$MNT/acme"
echo '{"t":1}' >"$MNT/acme/k"

for bad in 'nope' '{"t":'; do
    rc=0
    err=$(printf '%s' "$bad" | tee "$MNT/acme/k" "$MNT/acme/new" 2>&1 >/dev/null) || rc=$?
    assert_eq "$rc" 1 "tee's exit status for $bad"
    assert_match "$err" "tee: .*/acme/k: Invalid argument" "tee's message for k ($bad)"
    assert_match "$err" "tee: .*/acme/new: Invalid argument" "tee's message for new ($bad)"
    assert_eq "$(tool_value acme k)" '{"t": 1}' "stored value after $bad"
    tool_assert_pins 'acme|k'
done

printf '[1]' | tee "$MNT/acme/k" "$MNT/acme/new" >/dev/null
printf ' ' | tee -a "$MNT/acme/new" >/dev/null
assert_eq "$(tool_value acme k)" '[1]' "k after a valid tee"
assert_eq "$(tool_value acme new)" '[1]' "new after a valid tee and tee -a of a blank"
tool_assert_pins 'acme|k' 'acme|new'
umount_pinfs
