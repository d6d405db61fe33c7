# A libpq multi-host URI whose first host is dead (a socket dir with no
# server, then one that does not exist) and whose last is the real server,
# with target_session_attrs=read-write: pinctl and pinfs connect through it,
# pins land in the real database, and the mount keeps working across a
# restart of the server (reconnecting through the same host list).
dead=$CASE_DIR/dead-sock
mkdir -p "$dead"
uri="postgresql:///$CASE_DB?host=$dead,/nonexistent-pinfs-sock,$PIT_PG_SOCK&port=5432,5432,5432&target_session_attrs=read-write"
rt_config saas "acme=$uri"
"$PINCTL" --config "$CONFIG" migrate status >"$CASE_DIR/status.log" 2>&1 || {
    cat "$CASE_DIR/status.log" >&2
    fail "pinctl migrate status through the multi-host URI failed"
}
mount_pinfs
mkdir "$MNT/acme"
echo '{"via":"multi-host"}' >"$MNT/acme/k"
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "via": "multi-host"\n}' "cat acme/k"
assert_eq "$(pg_sql "SELECT tenant_id || '/' || key || '=' || value::text FROM system.memory_pins")" \
    'acme/k={"via": "multi-host"}' "row in the real database"

step "server restart: reconnects through the host list"
rt_pg_stop
assert_eq "$(probe open-r "$MNT/acme/k")" EIO "acme/k with every host down"
rt_pg_start
rt_wait_until 10 cat "$MNT/acme/k" || fail "acme/k unreadable 10 s after the restart: $(probe open-r "$MNT/acme/k")"
echo '{"via":"multi-host","n":2}' >"$MNT/acme/k"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins")" '{"n": 2, "via": "multi-host"}' "row after the restart"
umount_pinfs
