# A database whose schema is older than the one pinfs was built for (here:
# the last migration is not recorded) refuses to mount and names
# "pinctl migrate up"; after it, the mount works.
pg_sql "DELETE FROM system.pinfs_schema WHERE version = (SELECT max(version) FROM system.pinfs_schema)"
start_pinfs
wait_pinfs_exit 20 || fail "pinfs is still running against an old schema"
((PINFS_RC != 0)) || fail "pinfs exited 0 against an old schema"
grep -F 'pinctl migrate up' "$PINFS_LOG" >/dev/null || {
    cat "$PINFS_LOG" >&2
    fail "pinfs's stderr does not name 'pinctl migrate up'"
}
if is_mounted "$MNT"; then
    fail "$MNT is mounted although pinfs refused to start"
fi
