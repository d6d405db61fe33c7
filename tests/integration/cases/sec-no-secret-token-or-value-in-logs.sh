# Nothing a user or an operator keeps secret reaches the daemon's log (with
# FUSE debug output on), /.system/audit, or the audit tables: not a pin's
# value, not a token, not the database password in the backend URI.
marker_value="VALUE-$RANDOM$RANDOM-SECRET"
marker_pw="PW$RANDOM$RANDOM"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}, {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]'
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
# A password in the URI (trust auth ignores it): it must be redacted everywhere.
jq --arg be "postgresql://root:$marker_pw@/$CASE_DB?host=$PIT_PG_SOCK" '.routes[0].backend = $be' \
    "$CONFIG" >"$CONFIG.new" && mv "$CONFIG.new" "$CONFIG"
mount_pinfs -d
mkdir "$MNT/acme"
echo "{\"secret\": \"$marker_value\"}" >"$MNT/acme/k"
cat "$MNT/acme/k" >/dev/null
echo "{\"secret\": \"$marker_value\"" >"$MNT/acme/bad" 2>/dev/null || true   # refused at close
token=$(rb_mint alice dev acme 600)
assert_eq "$(rb_cred 20001 "$token")" "write=OK close=OK" "a token binds"
forged=${token%??}${token: -1}${token: -2:1}   # the signature's last two characters swapped
[[ $forged != "$token" ]] || forged=${token%?}Q
assert_eq "$(rb_cred 20002 "$forged")" "write=OK close=EACCES" "a forged token is refused"
sig=${token##*.}
sleep 1.5   # the audit writer
for f in metrics audit routes health policy whoami events; do
    cat "$MNT/.system/$f" >"$CASE_DIR/sys-$f.txt" 2>/dev/null || true
done
umount_pinfs
for m in "$marker_value" "$marker_pw" "$sig"; do
    if grep -r -l -F -- "$m" "$PINFS_LOG" "$CASE_DIR"/sys-*.txt; then
        fail "a secret ($m) is in the files above"
    fi
    n=$(pg_sql "SELECT count(*) FROM system.memory_audit WHERE row_to_json(memory_audit)::text LIKE '%$m%'")
    assert_eq "$n" 0 "audit rows holding $m"
    n=$(pg_sql "SELECT count(*) FROM system.rbac_audit WHERE row_to_json(rbac_audit)::text LIKE '%$m%'")
    assert_eq "$n" 0 "rbac audit rows holding $m"
done
# ...and the log did see the traffic (the test would pass on an empty log).
assert_match "$(cat "$PINFS_LOG")" 'opcode: WRITE|WRITE' "FUSE debug output in the log"
