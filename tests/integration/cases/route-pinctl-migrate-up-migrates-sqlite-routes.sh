# pinctl migrate acts on SQLite routes as well as PostgreSQL ones: status
# reports the unmigrated file, "migrate up" gives it the same tables and
# columns as the PostgreSQL schema (without the "system." prefix), a second
# "up" applies nothing, and the mount then serves the SQLite tenant.
a=$CASE_DIR/a.db
b=$CASE_DIR/sub/dir/b.db
rt_config saas "acme=$(rt_pg_uri)" "lab=$(rt_sqlite_uri "$a")" "lab-*=$(rt_sqlite_uri "$b")"

status=$("$PINCTL" --config "$CONFIG" migrate status 2>&1) || true
step "status before: $status"
assert_match "$(grep -F "$a" <<<"$status")" 'version 0' "status line of a.db before migrating"

"$PINCTL" --config "$CONFIG" migrate up >"$CASE_DIR/up.log" 2>&1 || {
    cat "$CASE_DIR/up.log" >&2
    fail "pinctl migrate up failed"
}
for db in "$a" "$b"; do
    [[ -f "$db" ]] || fail "$db does not exist after migrate up"
    for t in memory_pins memory_audit rbac_audit tenants; do
        pg_cols=$(pg_sql "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns
                          WHERE table_schema = 'system' AND table_name = '$t'")
        sq_cols=$(rt_sqlite "$db" "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('$t') ORDER BY name)")
        assert_eq "$sq_cols" "$pg_cols" "columns of $t in $db (as in PostgreSQL's system.$t)"
    done
done
status=$("$PINCTL" --config "$CONFIG" migrate status 2>&1)
step "status after: $status"
for db in "$a" "$b"; do
    assert_match "$(grep -F "$db" <<<"$status")" 'up to date' "status line of $db after migrating"
done
again=$("$PINCTL" --config "$CONFIG" migrate up 2>&1)
assert_match "$(grep -F "$a" <<<"$again")" 'applied 0 migrations' "a second migrate up on a.db"

mount_pinfs
mkdir "$MNT/lab" "$MNT/lab-x"
echo '{"in":"a"}' >"$MNT/lab/k"
echo '{"in":"b"}' >"$MNT/lab-x/k"
assert_eq "$(rt_sqlite "$a" "SELECT tenant_id || '/' || key FROM memory_pins")" lab/k "a.db rows"
assert_eq "$(rt_sqlite "$b" "SELECT tenant_id || '/' || key FROM memory_pins")" lab-x/k "b.db rows"
umount_pinfs

step "migrate down reverts the SQLite schema too, one version at a time"
"$PINCTL" --config "$CONFIG" migrate down >"$CASE_DIR/down.log" 2>&1 || {
    cat "$CASE_DIR/down.log" >&2
    fail "pinctl migrate down failed"
}
assert_eq "$(rt_sqlite "$a" "SELECT count(*) FROM pragma_table_info('memory_pins') WHERE name = 'version'")" 0 \
    "a.db's schema 3 column after one migrate down"
assert_eq "$(rt_sqlite "$a" "SELECT count(*) FROM pragma_table_info('memory_pins') WHERE name = 'changed_at'")" 1 \
    "a.db's schema 2 columns still there"
"$PINCTL" --config "$CONFIG" migrate down >>"$CASE_DIR/down.log" 2>&1 || {
    cat "$CASE_DIR/down.log" >&2
    fail "the second pinctl migrate down failed"
}
assert_eq "$(rt_sqlite "$a" "SELECT count(*) FROM pragma_table_info('memory_pins') WHERE name = 'changed_at'")" 0 \
    "a.db's schema 2 columns after two migrate downs"
"$PINCTL" --config "$CONFIG" migrate down >>"$CASE_DIR/down.log" 2>&1 || {
    cat "$CASE_DIR/down.log" >&2
    fail "the third pinctl migrate down failed"
}
assert_eq "$(rt_sqlite "$a" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'memory_pins'")" 0 \
    "memory_pins in a.db after migrate down"
"$PINCTL" --config "$CONFIG" migrate up >>"$CASE_DIR/up.log" 2>&1 || fail "migrate up after down failed"
