# tail -f on a pin follows it (DESIGN 3: re-reads and tail -f see the latest
# committed value, not a snapshot taken at open):
# - when the value gets shorter, tail reports "file truncated" and prints
#   the new value from the start;
# - when another process commits a longer value, tail prints the bytes of
#   the new value past the old end.
mount_pinfs
mkdir "$MNT/acme"
echo '"ab"' >"$MNT/acme/k"

: >tail.out
: >tail.err
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

echo '1' >"$MNT/acme/k"
wait_for_out $'"ab"\n1'
assert_match "$(cat tail.err)" 'file truncated' "tail's notice"

echo '"abcdef"' >"$MNT/acme/k"
# The old content was 2 bytes ("1" and a newline): tail prints from byte 2.
wait_for_out $'"ab"\n1\nbcdef"'

kill "$tail_pid"
wait "$tail_pid" 2>/dev/null || true
tool_assert_pins 'acme|k'
umount_pinfs
