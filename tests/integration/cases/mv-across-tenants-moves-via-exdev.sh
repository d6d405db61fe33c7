# rename across tenants is EXDEV; mv then copies and deletes, so the pin
# moves with its value.
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"moving":1}' >"$MNT/acme/k"

assert_eq "$(probe rename "$MNT/acme/k" "$MNT/beta/k")" EXDEV "rename(2) across tenants"
mv "$MNT/acme/k" "$MNT/beta/k"
assert_eq "$(ls "$MNT/acme")" "" "source tenant after mv"
assert_eq "$(cat "$MNT/beta/k")" $'{\n  "moving": 1\n}' "moved pin"
assert_eq "$(pg_sql "SELECT tenant_id || ' ' || key || ' ' || value::text FROM system.memory_pins")" \
    'beta k {"moving": 1}' "rows"
umount_pinfs
