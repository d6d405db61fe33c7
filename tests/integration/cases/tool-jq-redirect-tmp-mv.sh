# The service idiom "jq ... KEY > KEY.tmp && mv KEY.tmp KEY": KEY.tmp is an
# ordinary key while it exists, and mv replaces KEY with it in one
# rename; afterwards KEY has the new value and KEY.tmp is gone. When jq's
# output is refused (not JSON), the && stops before mv, the old KEY
# stays with no KEY.tmp left behind.
mount_pinfs
mkdir "$MNT/acme"
echo '{"default_rpm":100}' >"$MNT/acme/rate_limits"

jq '.default_rpm = 1200' "$MNT/acme/rate_limits" >"$MNT/acme/rate_limits.tmp" &&
    mv "$MNT/acme/rate_limits.tmp" "$MNT/acme/rate_limits"
assert_eq "$(tool_value acme rate_limits)" '{"default_rpm": 1200}' "value after jq > tmp && mv"
assert_eq "$(jq .default_rpm "$MNT/acme/rate_limits")" 1200 "jq reads it back"
tool_assert_pins 'acme|rate_limits'

# jq -r of a string prints raw text, which is not JSON: the write fails.
if bash -c 'jq -r ".default_rpm | tostring | . + \" rpm\"" "$1" >"$1.tmp"' _ "$MNT/acme/rate_limits" 2>/dev/null; then
    fail "jq -r raw text > KEY.tmp succeeded"
fi
assert_eq "$(probe stat "$MNT/acme/rate_limits.tmp")" ENOENT "KEY.tmp after the refused write"
assert_eq "$(tool_value acme rate_limits)" '{"default_rpm": 1200}' "value after the refused write"
tool_assert_pins 'acme|rate_limits'
umount_pinfs
