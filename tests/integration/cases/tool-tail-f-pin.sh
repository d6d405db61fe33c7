# tail -f on a pin follows it: when another process commits a longer value,
# tail prints the bytes past the old end (reads return the current value,
# not a snapshot taken at open); when the value gets shorter, tail reports
# "file truncated" and prints the new value from the start.
mount_pinfs
mkdir "$MNT/acme"
echo '"ab"' >"$MNT/acme/k"

tail -s 0.2 -n +1 -f "$MNT/acme/k" >tail.out 2>tail.err &
tail_pid=$!
tool_bg "$tail_pid"
wait_for_out()
{
    local i
    for ((i = 0; i < 50; i++)); do
        [[ "$(cat tail.out)" == "$1" ]] && return 0
        sleep 0.1
    done
    printf 'tail.out:\n%s\ntail.err:\n%s\n' "$(cat tail.out)" "$(cat tail.err)" >&2
    fail "tail -f did not print $(printf '%q' "$1")"
}
wait_for_out '"ab"'
echo '"abcdef"' >"$MNT/acme/k"
# The old content was 5 bytes ("ab" and a newline): tail prints from byte 5.
wait_for_out $'"ab"\nef"'
echo '1' >"$MNT/acme/k"
wait_for_out $'"ab"\nef"\n1'
assert_match "$(cat tail.err)" 'file truncated' "tail's notice"
kill "$tail_pid"
wait "$tail_pid" 2>/dev/null || true
tool_assert_pins 'acme|k'
umount_pinfs
