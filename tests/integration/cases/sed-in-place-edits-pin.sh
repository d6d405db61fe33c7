# sed -i edits a pin through its temporary file and rename, leaving no stray
# pin behind; an edit that breaks the JSON fails and keeps the old value.
mount_pinfs
mkdir "$MNT/acme"
echo '{"rpm":100}' >"$MNT/acme/limits"

sed -i 's/100/250/' "$MNT/acme/limits"
assert_eq "$(cat "$MNT/acme/limits")" $'{\n  "rpm": 250\n}' "after sed -i"
assert_eq "$(ls -A "$MNT/acme")" limits "no temporary left"

if sed -i 's/}/,/' "$MNT/acme/limits" 2>/dev/null; then
    fail "sed -i producing invalid JSON succeeded"
fi
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'limits'")" '{"rpm": 250}' "kept"
assert_eq "$(pg_sql "SELECT string_agg(key, ' ') FROM system.memory_pins")" limits "rows"
umount_pinfs
