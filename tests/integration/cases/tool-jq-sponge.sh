# jq ... KEY | sponge KEY (read all, then rewrite the same pin) updates it in
# place; sponge of content that is not JSON fails and keeps the old value;
# no temporary of sponge's ever becomes a pin.
mount_pinfs
mkdir "$MNT/acme"
echo '{"default_rpm":100,"burst":5}' >"$MNT/acme/limits"

jq '.default_rpm = 1200 | .tier = "gold"' "$MNT/acme/limits" | sponge "$MNT/acme/limits"
assert_eq "$(tool_value acme limits)" '{"tier": "gold", "burst": 5, "default_rpm": 1200}' "stored value"
assert_eq "$(jq -r .tier "$MNT/acme/limits")" gold "jq reads the new value"
tool_assert_pins 'acme|limits'

# jq -c output (one line) through sponge into a new key.
jq -c '{copy: .burst}' "$MNT/acme/limits" | sponge "$MNT/acme/copy"
assert_eq "$(tool_value acme copy)" '{"copy": 5}' "new key through sponge"

# A broken document: sponge reports the error, the old value stays.
if printf '{"default_rpm":' | sponge "$MNT/acme/limits" 2>/dev/null; then
    fail "sponge of an incomplete document succeeded"
fi
assert_eq "$(tool_value acme limits)" '{"tier": "gold", "burst": 5, "default_rpm": 1200}' "kept after a failed sponge"
tool_assert_pins 'acme|copy' 'acme|limits'
assert_eq "$(ls -A "$MNT/acme")" $'copy\nlimits' "ls -A of the tenant"
umount_pinfs
