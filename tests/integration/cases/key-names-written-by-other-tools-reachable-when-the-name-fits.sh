# Keys that other tools wrote (psql, sqlite3, pinctl seed) on a PostgreSQL
# and an SQLite route: a key whose file name (the key with "/" as %2F and
# "%" as %25) fits in 255 bytes is listed and served like any other -- read,
# renamed, deleted -- even with characters the filesystem refuses on create
# (a tab, a leading ".", a trailing "~"); a key whose name would be longer
# (up to the 1024 bytes a key may have) is stored but neither listed nor
# reachable through the mount, and stays untouched; so is a key that is not
# UTF-8 (SQLite stores any bytes), and /.system/audit stays readable.
rt_pg_sqlite_config
k300=$(printf 'k%.0s' {1..300})
m255=$(printf 'm%.0s' {1..255})
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES
        ('acme', E'tab\\there', '1'), ('acme', '.dot', '2'), ('acme', 'x~', '3'),
        ('acme', '$m255', '4'), ('acme', '$k300', '5'), ('acme', repeat('/', 90), '6'),
        ('acme', 'a/b%c', '7')"
rt_sqlite "$RT_SQLITE" "INSERT INTO memory_pins (tenant_id, key, value) VALUES
        ('lab', 'tab' || char(9) || 'here', '1'), ('lab', '.dot', '2'), ('lab', 'x~', '3'),
        ('lab', '$m255', '4'), ('lab', '$k300', '5'), ('lab', replace(hex(zeroblob(90)), '00', '/'), '6'),
        ('lab', 'a/b%c', '7'), ('lab', CAST(X'636166E9' AS TEXT), '9')"
jq -n --arg k "$(printf 's%.0s' {1..400})" '{pins: [{tenant: "acme", key: $k, value: 8}]}' >"$CASE_DIR/seed.json"
"$PINCTL" --config "$CONFIG" seed --file "$CASE_DIR/seed.json" >/dev/null || fail "pinctl seed of a 400-byte key failed"
mount_pinfs

for t in acme lab; do
    step "$t: what ls shows"
    assert_eq "$(ls -A "$MNT/$t" | LC_ALL=C sort | tr '\t' '^')" \
        "$(printf '%s\n' .dot 'a%2Fb%25c' "$m255" 'tab^here' 'x~' | LC_ALL=C sort)" "ls -A $t"
    step "$t: every listed name is served"
    assert_eq "$(cat "$MNT/$t/$(printf 'tab\there')")" 1 "cat of a key with a tab"
    assert_eq "$(cat "$MNT/$t/.dot")" 2 "cat of a dot-key"
    assert_eq "$(cat "$MNT/$t/x~")" 3 "cat of a tilde-key"
    assert_eq "$(cat "$MNT/$t/$m255")" 4 "cat of a 255-byte key"
    assert_eq "$(cat "$MNT/$t/a%2Fb%25c")" 7 "cat of an escaped key"
    assert_eq "$(probe stat "$MNT/$t/$k300")" ENAMETOOLONG "stat of the 300-byte key's name"
    ls -l "$MNT/$t" >/dev/null 2>"$CASE_DIR/ls.err" || { cat "$CASE_DIR/ls.err" >&2; fail "ls -l $t failed"; }
    step "$t: renamed and deleted"
    mv "$MNT/$t/$(printf 'tab\there')" "$MNT/$t/no-tab" || fail "mv of the tab key"
    assert_eq "$(cat "$MNT/$t/no-tab")" 1 "the renamed value"
    rm "$MNT/$t/.dot" || fail "rm of the dot-key"
    assert_eq "$(probe stat "$MNT/$t/.dot")" ENOENT "the dot-key after rm"
    assert_eq "$(probe write-trunc "$MNT/$t/$(printf 'new\ttab')" 1)" open=EINVAL "creating a key with a tab"
done
assert_eq "$(probe stat "$MNT/lab/$(printf 'caf\xe9')")" ENOENT "stat of the key that is not UTF-8"
grep -c '"operation":"read"' "$MNT/.system/audit" >/dev/null || fail "/.system/audit has no reads"
jq -e . "$MNT/.system/audit" >/dev/null || fail "/.system/audit is not JSON lines"
umount_pinfs

step "the long keys are untouched; what the mount did is in the database"
assert_eq "$(pg_sql "SELECT string_agg(octet_length(key) || '=' || value::text, ' ' ORDER BY octet_length(key), key) FROM system.memory_pins")" \
    "2=3 5=7 6=1 90=6 255=4 300=5 400=8" "PostgreSQL keys (length=value)"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT group_concat(length(key) || '=' || value, ' ') FROM (SELECT * FROM memory_pins ORDER BY length(key), key)")" \
    "2=3 4=9 5=7 6=1 90=6 255=4 300=5" "SQLite keys (length=value)"
