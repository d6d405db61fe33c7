# A token's subject is recorded as "token:SUB" in every audit record
# (memory_audit, rbac_audit, /.system/audit, whoami), so a token whose sub
# is "uid:0" never reads as root; a sub longer than the field is cut before
# a character, never inside one (70 x "é"), and nothing fails: whoami keeps
# its subject, /.system/audit stays readable, and the backends store the
# rows, root's concurrent one included; a sub holding U+2028 or U+0085
# stays inside its JSON line. On PostgreSQL and SQLite.
RT_SQLITE=$CASE_DIR/lab.db
rb_hs_secret
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
jq -n --arg pg "$(rt_pg_uri)" --arg lab "$(rt_sqlite_uri "$RT_SQLITE")" --arg p "$RB_POLICY" \
    --argjson t "$(rb_tokens_json HS256 "$RB_SECRET")" \
    '{mode: "saas", policy: $p, tokens: $t, routes: [{tenant: "acme", backend: $pg}, {tenant: "lab", backend: $lab}]}' >"$CONFIG"
rt_migrate
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"

long=$(printf 'é%.0s' $(seq 1 70))
spoof='uid:0'
breaks=$'x\u2028{"uid":0}\u0085y'
cut="token:$(printf 'é%.0s' $(seq 1 60))" # 127 bytes fit: "token:" and 60 whole characters
bind() # UID SUB
{
    local tok
    tok=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims "$2" machine acme,lab)")
    assert_eq "$(rb_cred "$1" "$tok")" "write=OK close=OK" "bind $2 to $1"
}
bind 20001 "$long"
bind 20002 "$spoof"
bind 20003 "$breaks"

step "whoami shows the subject audit records"
assert_eq "$(as_user 20001 cat "$MNT/.system/whoami" | jq -r .subject)" "$cut" "whoami of the long sub"
assert_eq "$(as_user 20002 cat "$MNT/.system/whoami" | jq -r .subject)" "token:uid:0" "whoami of sub uid:0"
assert_eq "$(as_user 20003 cat "$MNT/.system/whoami" | jq -r .subject)" "token:$breaks" "whoami of the sub with line breaks"

step "writes by each, with root writing at the same moment"
for t in acme lab; do
    for u in 20001 20002 20003; do
        as_user $u sh -c 'echo "{\"by\":$2}" > "$1"' _ "$MNT/$t/k$u" "$u" &
        writer=$!
        echo '{"by":0}' >"$MNT/$t/root$u"
        wait $writer
    done
    assert_eq "$(as_user 20002 probe unlink "$MNT/$t/k20002")" EACCES "a denial for 20002 (machine cannot delete)"
done

rows() # BACKEND: "uid subject" of every upsert, sorted
{
    rt_db "$1" "SELECT uid || ' ' || subject FROM @audit WHERE operation = 'upsert' ORDER BY uid, key"
}
want=$(printf '%s\n' "0 uid:0" "0 uid:0" "0 uid:0" "20001 $cut" "20002 token:uid:0" "20003 token:$breaks")
for be in pg "$RT_SQLITE"; do
    assert_eq "$(rb_poll 3 "$want" rows "$be")" "$want" "memory_audit rows on $be"
done
assert_eq "$(rb_poll 3 "token:uid:0" pg_sql "SELECT string_agg(DISTINCT subject, ',') FROM system.rbac_audit WHERE uid = 20002")" \
    "token:uid:0" "rbac_audit subject of 20002"
assert_eq "$(rb_poll 3 "token:uid:0" rt_sqlite "$RT_SQLITE" "SELECT group_concat(DISTINCT subject) FROM rbac_audit WHERE uid = 20002")" \
    "token:uid:0" "SQLite rbac_audit subject of 20002"
assert_eq "$(pg_sql "SELECT count(*) FROM system.rbac_audit WHERE subject = 'uid:0'")" 0 "no rbac_audit row says uid:0"

step "/.system/audit: one JSON line per event, whatever the subject holds"
cat "$MNT/.system/audit" >"$CASE_DIR/audit.jsonl"
assert_eq "$(rb_audit_json_check "$CASE_DIR/audit.jsonl")" "OK $(wc -l <"$CASE_DIR/audit.jsonl")" "every line is one audit object"
assert_eq "$(/usr/bin/python3 -c 'import sys; t = open(sys.argv[1], encoding="utf-8").read(); print(len(t.splitlines()), t.count("\n"))' "$CASE_DIR/audit.jsonl")" \
    "$(wc -l <"$CASE_DIR/audit.jsonl") $(wc -l <"$CASE_DIR/audit.jsonl")" "no line break inside a line (splitlines)"
assert_eq "$(jq -r 'select(.uid == 20003 and .operation == "upsert") | .subject' "$CASE_DIR/audit.jsonl" | sort -u)" \
    "token:$breaks" "the subject with line breaks, as one string"
assert_eq "$(jq -r 'select(.uid == 20001 and .operation == "upsert") | .subject' "$CASE_DIR/audit.jsonl" | sort -u)" \
    "$cut" "the long subject, cut at a character"
assert_eq "$(jq -r 'select(.subject == "uid:0") | .uid' "$CASE_DIR/audit.jsonl" | sort -u)" 0 "only root is uid:0"
assert_eq "$(rb_metric pinfs_audit_dropped_total)" 0 "nothing dropped"
umount_pinfs
