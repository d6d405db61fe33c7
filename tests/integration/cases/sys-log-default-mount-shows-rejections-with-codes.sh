# A default mount (no -d, no "log_level") logs every refused write and every
# RBAC denial at notice with its stable code, on PostgreSQL and SQLite
# routes alike: what the README promises a user whose shell ignored close().
# Per code at most 10 lines a minute; past that one line says the rest are
# counted, and other codes still get through. No value is ever logged.
RT_EXTRA=$(jq -n --arg p "$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                                       {"uid": 4301, "roles": ["dev"], "tenants": ["acme"]}]')" '{policy: $p}')
export RT_EXTRA
rt_pg_sqlite_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"
log=$PINFS_LOG
lines() { grep -c -E -- "$1" "$log" || true; }

step "a write that cannot start JSON, at write()"
for t in acme lab; do
    probe write-trunc "$MNT/$t/k" 'not-json-SENTINEL-1' >/dev/null
    rt_wait_log_count "^pinfs: notice: memory_pin\\.invalid_json: write to \"$t/k\" by uid 0 rejected$" 1 5 ||
        fail "no notice line for the refused write on $t"
done

step "an unfinished document, at close()"
for t in acme lab; do
    printf '{"a": "SENTINEL-2"' >"$MNT/$t/k2" || true
    rt_wait_log_count "^pinfs: notice: memory_pin\\.invalid_json: \"$t/k2\" by uid 0: " 1 5 ||
        fail "no notice line for the refused close on $t"
done

step "a value past the size limit"
python3 -c 'import sys; sys.stdout.write("\"" + "a" * (1 << 20) + "\"")' >"$CASE_DIR/big"
cp "$CASE_DIR/big" "$MNT/acme/big" 2>/dev/null && fail "cp of a 1 MiB + 2 bytes value succeeded"
rt_wait_log_count '^pinfs: notice: memory_pin\.too_large: write to "acme/big" by uid 0 rejected$' 1 5 ||
    fail "no notice line for the oversized value"

step "an RBAC denial"
assert_eq "$(as_user 4301 probe write-trunc "$MNT/acme/k3" '1')" open=EACCES "uid 4301 writes"
rt_wait_log_count '^pinfs: notice: rbac\.denied: uid 4301 memory_pin:write on "acme" ' 1 5 ||
    fail "no notice line for the denial"

step "a flood of one code is cut at 10 lines, the rest counted; other codes still get through"
for i in $(seq 1 40); do
    probe write-trunc "$MNT/acme/f$i" 'nope' >/dev/null
done
assert_eq "$(lines '^pinfs: notice: memory_pin\.invalid_json: (write|")')" 10 "invalid_json lines after 44 refusals"
assert_eq "$(lines '^pinfs: notice: memory_pin\.invalid_json: more than 10 rejections within a minute, counting the rest$')" 1 "the counting line"
assert_eq "$(as_user 4301 probe write-trunc "$MNT/acme/k4" '1')" open=EACCES "uid 4301 writes again"
rt_wait_log_count '^pinfs: notice: rbac\.denied: uid 4301 memory_pin:write' 2 5 ||
    fail "the second denial was not logged after another code's flood"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM memory_audit WHERE error_code = 'memory_pin.invalid_json'")" 2 "lab's audit rows"
n=$(pg_sql "SELECT count(*) FROM system.memory_audit WHERE error_code = 'memory_pin.invalid_json'")
assert_eq "$n" 42 "acme's audit rows: every refusal, logged or counted"

umount_pinfs
grep -F SENTINEL "$log" && fail "a refused value is in the log"
true
