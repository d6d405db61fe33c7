# mv inside a tenant is one transaction: the target gets the source's value
# (replacing an existing target), the source is gone; RENAME_NOREPLACE onto
# an existing key is EEXIST and changes nothing.
mount_pinfs
mkdir "$MNT/acme"
echo '{"v":"a"}' >"$MNT/acme/a"
echo '{"v":"b"}' >"$MNT/acme/b"
echo '{"v":"c"}' >"$MNT/acme/c"

assert_eq "$(probe rename-noreplace "$MNT/acme/a" "$MNT/acme/b")" EEXIST "RENAME_NOREPLACE onto b"
assert_eq "$(cat "$MNT/acme/b")" $'{\n  "v": "b"\n}' "b after the refused rename"

mv "$MNT/acme/a" "$MNT/acme/b"
assert_eq "$(ls "$MNT/acme")" $'b\nc' "ls after mv over b"
assert_eq "$(cat "$MNT/acme/b")" $'{\n  "v": "a"\n}' "b after mv"
assert_eq "$(probe stat "$MNT/acme/a")" ENOENT "a after mv"

mv "$MNT/acme/c" "$MNT/acme/new"
assert_eq "$(pg_sql "SELECT string_agg(key || '=' || value::text, ' ' ORDER BY key) FROM system.memory_pins")" \
    'b={"v": "a"} new={"v": "c"}' "rows"
umount_pinfs
