# setfattr/getfattr (and attr) on a pin: user.pin.ttl is set, read back as
# given, listed by getfattr -d and removed; a bad value is refused with the
# old TTL kept; unknown user.* attributes are ENOTSUP. No pin is created.
mount_pinfs
mkdir "$MNT/acme"
echo '{"x":1}' >"$MNT/acme/k"
f=$MNT/acme/k

setfattr -n user.pin.ttl -v 3600 "$f"
assert_eq "$(getfattr --only-values -n user.pin.ttl "$f")" 3600 "getfattr user.pin.ttl"
assert_eq "$(pg_sql "SELECT ttl_seconds, expires_at > now() + interval '3500 s' FROM system.memory_pins")" '3600|t' "row"
assert_match "$(getfattr -d "$f" 2>/dev/null)" 'user\.pin\.ttl="3600"' "getfattr -d"
assert_match "$(getfattr -d -m '' "$f" 2>/dev/null)" 'user\.pin\.updated_at=' "getfattr -d -m ''"
assert_match "$(attr -l "$f")" 'Attribute "pin.ttl" has a 4 byte value' "attr -l"
assert_eq "$(attr -q -g pin.ttl "$f")" 3600 "attr -g"

if err=$(setfattr -n user.pin.ttl -v soon "$f" 2>&1); then
    fail "setfattr of a non-integer TTL succeeded"
fi
assert_match "$err" 'Invalid argument' "setfattr's message"
if setfattr -n user.pin.ttl -v 99999999999 "$f" 2>/dev/null; then
    fail "setfattr of an out-of-range TTL succeeded"
fi
assert_eq "$(getfattr --only-values -n user.pin.ttl "$f")" 3600 "TTL after refused values"
if err=$(setfattr -n user.whatever -v 1 "$f" 2>&1); then
    fail "setfattr of an unknown user.* attribute succeeded"
fi
assert_match "$err" 'Operation not supported' "unknown attribute"

setfattr -x user.pin.ttl "$f"
assert_eq "$(pg_sql "SELECT expires_at IS NULL FROM system.memory_pins")" t "expiry cleared"
assert_eq "$(tool_value acme k)" '{"x": 1}' "value unchanged"
tool_assert_pins 'acme|k'
umount_pinfs
