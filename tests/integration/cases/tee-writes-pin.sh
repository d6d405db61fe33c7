# printf | tee KEY stores the value; tee reports an invalid document.
mount_pinfs
mkdir "$MNT/acme"
printf '{"t":true}' | tee "$MNT/acme/k" >/dev/null
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "t": true\n}' "read back"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"t": true}' "stored"

if printf '{"t":' | tee "$MNT/acme/k" >/dev/null 2>&1; then
    fail "tee of an incomplete document succeeded"
fi
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"t": true}' "kept"
umount_pinfs
