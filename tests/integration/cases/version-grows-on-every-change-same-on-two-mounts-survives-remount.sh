# user.pin.version grows with every kind of change, on both drivers, and is
# the same through two mounts and after a remount: a write, a write of the
# same value, a TTL and a source change, a rename, a rename onto a pin
# whose version was ahead, sed -i, Python's tempfile + os.replace, a write
# by another tool (psql, sqlite3), and a delete and create again (never a
# version seen before). /.system/events lines and audit rows carry it.
# pinctl migrate down drops the versions and up gives every pin version 1.
db=$CASE_DIR/db/pins.db
rt_config saas "lab=$(rt_sqlite_uri "$db")" "*=$(rt_pg_uri)"
rt_migrate
mount_pinfs
A=$MNT A_PID=$PINFS_PID A_LOG=$PINFS_LOG
mkdir "$A/acme" "$A/lab"
MNT=$CASE_DIR/mnt-b
mount_pinfs
B=$MNT B_PID=$PINFS_PID B_LOG=$PINFS_LOG
tail -n0 -f "$B/.system/events" >"$CASE_DIR/events.b" 2>&1 &
tail_b=$!
trap 'kill "$tail_b" 2>/dev/null || true' EXIT

v() { getfattr --absolute-names --only-values -n user.pin.version "$1"; }
same_on_b() { [[ "$(v "$B/$1")" == "$2" ]]; }

# grew T KEY WHAT: the version of T/KEY through A is above the last one
# seen, and B shows the same (within 2 s: B's cache waits for the feed).
last=0
grew()
{
    local now
    now=$(v "$A/$1/$2")
    [[ "$now" =~ ^[0-9]+$ ]] || fail "$1/$2 $3: version \"$now\""
    ((now > last)) || fail "$1/$2 $3: version $now, not above $last"
    rt_wait_until 2 same_on_b "$1/$2" "$now" || fail "$1/$2 $3: mount B says $(v "$B/$1/$2"), A $now"
    last=$now
}

other_tool()
{
    if [[ $1 == lab ]]; then
        rt_sqlite "$db" "UPDATE memory_pins SET value = '{\"by\": \"sqlite3\"}' WHERE tenant_id = 'lab' AND key = 'k2'"
    else
        pg_sql "UPDATE system.memory_pins SET value = '{\"by\": \"psql\"}' WHERE tenant_id = 'acme' AND key = 'k2'"
    fi
}

for t in acme lab; do
    step "tenant $t"
    last=0
    echo '{"n":1}' >"$A/$t/k"
    grew "$t" k "written"
    echo '{"n":2}' >"$A/$t/k"
    grew "$t" k "overwritten"
    echo '{"n":2}' >"$A/$t/k"
    grew "$t" k "the same value again"
    setfattr -n user.pin.ttl -v 3600 "$A/$t/k"
    grew "$t" k "TTL set"
    setfattr -n user.pin.source -v seed "$A/$t/k"
    grew "$t" k "source set"
    mv "$A/$t/k" "$A/$t/k2"
    grew "$t" k2 "renamed"
    for i in 1 2 3; do echo "$i" >"$A/$t/ahead"; done
    ahead=$(v "$A/$t/ahead")
    ((ahead > last)) || fail "$t: the target is not ahead"
    mv "$A/$t/k2" "$A/$t/ahead"
    mv "$A/$t/ahead" "$A/$t/k2"
    grew "$t" k2 "renamed onto a pin that was ahead, and back"
    sed -i 's/2/3/' "$A/$t/k2"
    grew "$t" k2 "sed -i"
    /usr/bin/python3 -c 'import json, os, sys, tempfile
d, k = sys.argv[1:3]
with tempfile.NamedTemporaryFile("w", dir=d, delete=False) as f:
    json.dump({"n": 4}, f)
os.replace(f.name, os.path.join(d, k))' "$A/$t" k2
    grew "$t" k2 "os.replace"
    other_tool "$t"
    grew "$t" k2 "another tool's UPDATE"
    rm "$A/$t/k2"
    echo '{"n":5}' >"$A/$t/k2"
    grew "$t" k2 "deleted and written again"
    declare -g "final_$t=$last"
done

step "events and audit rows carry versions"
rt_wait_until 3 grep -q "\"version\":$final_acme" "$CASE_DIR/events.b" ||
    fail "no event on B with version $final_acme: $(tail -3 "$CASE_DIR/events.b")"
assert_eq "$(jq -r 'select(.op == "upsert" and .version == null) | .key' "$CASE_DIR/events.b")" "" \
    "upsert events without a version on B"
rt_wait_until 3 test "$(pg_sql "SELECT max(version) FROM system.memory_audit
    WHERE operation = 'upsert' AND key = 'k2' AND success")" = "$final_acme" ||
    fail "no audit row with version $final_acme"
assert_eq "$(rt_sqlite "$db" "SELECT max(version) FROM memory_audit WHERE operation = 'upsert' AND key = 'k2'")" \
    "$final_lab" "SQLite audit row of the last write"
grep -q "\"version\":$final_lab" "$A/.system/events" || fail "SQLite: no event on A with version $final_lab"

step "remount"
kill "$tail_b"
wait "$tail_b" 2>/dev/null || true
MNT=$B PINFS_PID=$B_PID PINFS_LOG=$B_LOG
umount_pinfs
MNT=$A PINFS_PID=$A_PID PINFS_LOG=$A_LOG
umount_pinfs
mount_pinfs
assert_eq "$(v "$MNT/acme/k2")" "$final_acme" "PostgreSQL: after a remount"
assert_eq "$(v "$MNT/lab/k2")" "$final_lab" "SQLite: after a remount"
umount_pinfs

step "migrate down and up"
"$PINCTL" --config "$CONFIG" migrate down >>"$CASE_DIR/pinctl.log" 2>&1 || fail "migrate down failed"
assert_eq "$(pg_sql "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'system'
    AND table_name IN ('memory_pins', 'memory_audit') AND column_name = 'version'")" \
    0 "PostgreSQL: no version column after down"
assert_eq "$(rt_sqlite "$db" "SELECT count(*) FROM pragma_table_info('memory_pins') WHERE name = 'version'")" 0 \
    "SQLite: no version column after down"
rt_migrate
assert_eq "$(pg_sql "SELECT string_agg(key || '=' || version, ' ' ORDER BY key) FROM system.memory_pins")" \
    "k2=1" "PostgreSQL: version 1 after up"
assert_eq "$(rt_sqlite "$db" "SELECT group_concat(key || '=' || version, ' ') FROM memory_pins")" "k2=1" \
    "SQLite: version 1 after up"
mount_pinfs
echo 6 >"$MNT/acme/k2"
echo 6 >"$MNT/lab/k2"
for t in acme lab; do
    # Versions are times in microseconds once anything writes: far past 1.
    (($(v "$MNT/$t/k2") > 1000000)) || fail "$t: a write after up did not get a new version"
done
umount_pinfs
