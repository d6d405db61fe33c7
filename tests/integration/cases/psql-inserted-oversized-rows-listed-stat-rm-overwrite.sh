# Rows too large to read, written by another tool: on PostgreSQL the
# issue's bomb (1000 numbers of 131,072 digits: 131 MB of text from a few
# KB of jsonb), one whose text PostgreSQL cannot even print (9000: past
# 1 GB), and one that is short but 1.3 MB once indented; on SQLite a 2 MB
# string, a short text of big exponents and the same indentation. Each is
# listed (ls, ls -l), stat'ed (size 0: read returns nothing) and keeps its
# attributes; reading it is EFBIG, logged with memory_pin.too_large and
# the key, and audited; it can be overwritten and removed; other pins of
# the tenant are served as usual. Expiring a row PostgreSQL cannot print
# works too (audited without a hash).
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["machine"], "tenants": ["*"]},
                     {"uid": 10002, "roles": ["readonly"], "tenants": ["*"]}]')
RT_EXTRA="{\"policy\": \"$policy\", \"pool\": {\"statement_timeout_ms\": 60000}}"
rt_pg_sqlite_config "vast=$(rt_pg_uri)"
deep="repeat('[', 64) || repeat('0,', 9999) || '0' || repeat(']', 64)"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES
        ('acme', 'small', '{\"a\": 1}'),
        ('acme', 'big', (SELECT ('[' || string_agg('1e131071', ',') || ']')::jsonb
                         FROM generate_series(1, 1000))),
        ('acme', 'deep', ($deep)::jsonb),
        ('vast', 'small', '{\"a\": 1}'),
        ('vast', 'huge', (SELECT ('[' || string_agg('1e131071', ',') || ']')::jsonb
                          FROM generate_series(1, 9000)))"
assert_eq "$(pg_sql "SELECT octet_length(value::text) FROM system.memory_pins WHERE key = 'big'")" \
    131074000 "the bomb's text on PostgreSQL"
rt_sqlite "$RT_SQLITE" "INSERT INTO memory_pins (tenant_id, key, value) VALUES
        ('lab', 'small', '{\"a\": 1}'),
        ('lab', 'big', '\"' || hex(zeroblob(1100000)) || '\"'),
        ('lab', 'bomb', '[' || replace(hex(zeroblob(10)), '00', '1e131071,') || '1]'),
        ('lab', 'deep', printf('%.*c', 64, '[') || replace(hex(zeroblob(9999)), '00', '0,') || '0'
                        || printf('%.*c', 64, ']'))"
mount_pinfs

# check TENANT OVERSIZED...: the tenant's listing (as each uid in $LS_UIDS)
# and every oversized key.
LS_UIDS="0 10001 10002"
check()
{
    local t=$1 k names
    shift
    names=$(printf '%s\n' "$@" small | sort | paste -sd ' ')
    for uid in $LS_UIDS; do
        assert_eq "$(as_user "$uid" ls "$MNT/$t" | paste -sd ' ')" "$names" "$t: ls as uid $uid"
    done
    as_user 10002 ls -l "$MNT/$t" >"$CASE_DIR/ls-l" || fail "$t: ls -l failed"
    assert_eq "$(as_user 10002 cat "$MNT/$t/small")" $'{\n  "a": 1\n}' "$t: the small pin"
    for k in "$@"; do
        assert_eq "$(awk -v k="$k" '$NF == k { print $5 }' "$CASE_DIR/ls-l")" 0 "$t/$k: size in ls -l"
        assert_eq "$(as_user 10002 stat -c %s "$MNT/$t/$k")" 0 "$t/$k: stat"
        assert_eq "$(as_user 10002 probe open-r "$MNT/$t/$k")" EFBIG "$t/$k: open for reading"
        err=$(as_user 10002 cat "$MNT/$t/$k" 2>&1 >/dev/null) && fail "$t/$k: cat succeeded"
        assert_match "$err" 'File too large' "$t/$k: cat's message"
        assert_eq "$(getfattr --only-values --absolute-names -n user.pin.source "$MNT/$t/$k")" fs \
            "$t/$k: its attributes"
        # Each key is named, unless the per-code rate limit (10 lines a minute)
        # has started counting instead: then the log says so.
        rt_wait_log_count "memory_pin.too_large: the stored value of \"$t/$k\"" 1 3 ||
            rt_wait_log_count "memory_pin.too_large: more than 10 rejections within a minute" 1 1 ||
            fail "$t/$k: no log line names it"
    done
}

step "PostgreSQL: listed, stat'ed, refused to readers"
check acme big deep
# (Each listing of vast has PostgreSQL print 1 GB before it gives up: once is enough.)
LS_UIDS=10001 check vast huge
audit_read()
{
    pg_sql "SELECT count(*) > 0 FROM system.memory_audit WHERE key = 'big' AND operation = 'read'
            AND NOT success AND error_code = 'memory_pin.too_large' AND uid = 10002"
}
assert_eq "$(rb_poll 3 t audit_read)" t "the refused read in memory_audit"
step "SQLite: listed, stat'ed, refused to readers"
check lab big bomb deep

step "overwritten and removed"
for t in acme lab; do
    assert_eq "$(as_user 10001 probe write-trunc "$MNT/$t/big" '{"ok": true}')" "write=OK close=OK" "$t: overwrite big"
    assert_eq "$(as_user 10002 cat "$MNT/$t/big")" $'{\n  "ok": true\n}' "$t: big after the overwrite"
    as_user 10001 /bin/bash -c "echo '[1]' >'$MNT/$t/deep'" || fail "$t: echo over deep"
    assert_eq "$(cat "$MNT/$t/deep")" $'[\n  1\n]' "$t: deep after echo"
done
rm "$MNT/vast/huge" "$MNT/lab/bomb"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key = 'huge'")" 0 "huge's row"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM memory_pins WHERE key = 'bomb'")" 0 "bomb's row"
assert_eq "$(ls "$MNT/vast")" small "vast after rm"

step "expiry of a row PostgreSQL cannot print"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value, ttl_seconds, expires_at)
        SELECT 'vast', 'expired', ('[' || string_agg('1e131071', ',') || ']')::jsonb, 1, now() - interval '1 s'
        FROM generate_series(1, 9000)"
"$PINCTL" --config "$CONFIG" expire >"$CASE_DIR/expire.out" 2>&1 || {
    cat "$CASE_DIR/expire.out" >&2
    fail "pinctl expire failed"
}
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key = 'expired'")" 0 "the expired row"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_audit WHERE key = 'expired' AND operation = 'expire'
                     AND value_sha256 IS NULL")" 1 "its expiry, audited without a hash"
assert_eq "$(cat "$MNT/.system/health")" ok "the daemon still serves"
umount_pinfs
