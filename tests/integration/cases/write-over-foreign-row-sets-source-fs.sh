# Writing through the mount over a row another tool wrote updates it in
# place: new value, source "fs", a new updated_at; same id and created_at.
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value, source, created_at, updated_at)
        VALUES ('acme', 'k', '{\"old\": true}', 'seed', now() - interval '2 days', now() - interval '1 day')"
before=$(pg_sql "SELECT id || ' ' || created_at FROM system.memory_pins WHERE key = 'k'")
mount_pinfs
echo '{"new":true}' >"$MNT/acme/k"
assert_eq "$(pg_sql "SELECT value::text || ' ' || source FROM system.memory_pins WHERE key = 'k'")" \
    '{"new": true} fs' "value and source"
assert_eq "$(pg_sql "SELECT id || ' ' || created_at FROM system.memory_pins WHERE key = 'k'")" "$before" \
    "id and created_at"
assert_eq "$(pg_sql "SELECT updated_at > now() - interval '1 minute' FROM system.memory_pins WHERE key = 'k'")" t \
    "updated_at is new"
umount_pinfs
