# A database without the schema refuses to mount: pinfs exits non-zero,
# says "pinctl migrate up", and nothing stays mounted.
use_empty_db
write_config
start_pinfs
wait_pinfs_exit 20 || fail "pinfs is still running against an unmigrated database"
((PINFS_RC != 0)) || fail "pinfs exited 0 against an unmigrated database"
grep -F 'pinctl migrate up' "$PINFS_LOG" >/dev/null || {
    cat "$PINFS_LOG" >&2
    fail "pinfs's stderr does not name 'pinctl migrate up'"
}
if is_mounted "$MNT"; then
    fail "$MNT is mounted although pinfs refused to start"
fi
# Nothing was created in the database either.
assert_eq "$(pg_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'system'")" 0 "tables"
