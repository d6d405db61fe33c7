# Every denial is written to system.rbac_audit (asynchronously: within 2 s)
# with the subject, uid, resource, action, decision 'deny', reason, tenant
# and policy version; a token's subject is recorded as "token:SUB".
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme", "team-*"]}]' true audit-v1
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a":1}' >"$MNT/acme/k"
echo '{"b":1}' >"$MNT/beta/k"
u=20001
assert_eq "$(pg_sql "SELECT count(*) FROM system.rbac_audit")" 0 "no rows before"

assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"a":2}')" open=EACCES "write"
assert_eq "$(as_user $u probe unlink "$MNT/acme/k")" EACCES "unlink"
assert_eq "$(as_user $u probe mkdir "$MNT/team-x")" EACCES "mkdir in scope"
assert_eq "$(as_user $u probe mkdir "$MNT/zeta")" EACCES "mkdir out of scope"
assert_eq "$(as_user $u probe open-r "$MNT/beta/k")" EACCES "read out of scope"

row() # ACTION TENANT: "subject|uid|resource|decision|reason|version" of the first matching row
{
    pg_sql "SELECT subject || '|' || uid || '|' || resource || '|' || decision || '|' || reason || '|' || policy_version
            FROM system.rbac_audit WHERE uid = $u AND action = '$1' AND tenant_id = '$2' ORDER BY id LIMIT 1"
}
assert_eq "$(rb_poll 2 "uid:20001|20001|memory_pin|deny|no_permission|audit-v1" row write acme)" \
    "uid:20001|20001|memory_pin|deny|no_permission|audit-v1" "write denial row"
assert_eq "$(rb_poll 2 "uid:20001|20001|memory_pin|deny|no_permission|audit-v1" row delete acme)" \
    "uid:20001|20001|memory_pin|deny|no_permission|audit-v1" "delete denial row"
assert_eq "$(rb_poll 2 "uid:20001|20001|memory_pin|deny|no_permission|audit-v1" row admin team-x)" \
    "uid:20001|20001|memory_pin|deny|no_permission|audit-v1" "mkdir denial row"
# out of scope, the lookup before mkdir is what is refused
assert_eq "$(rb_poll 2 "uid:20001|20001|memory_pin|deny|out_of_scope|audit-v1" row read zeta)" \
    "uid:20001|20001|memory_pin|deny|out_of_scope|audit-v1" "out-of-scope name denial row"
assert_eq "$(rb_poll 2 "uid:20001|20001|memory_pin|deny|out_of_scope|audit-v1" row read beta)" \
    "uid:20001|20001|memory_pin|deny|out_of_scope|audit-v1" "read denial row"
assert_eq "$(pg_sql "SELECT count(*) FROM system.rbac_audit WHERE decision <> 'deny'")" 0 "only denials"

step "a token's subject"
assert_eq "$(rb_cred 20002 "$(rb_mint robot-7 readonly acme 600)")" "write=OK close=OK" "bind"
assert_eq "$(as_user 20002 probe write-trunc "$MNT/acme/k" '{"a":3}')" open=EACCES "token write"
assert_eq "$(rb_poll 2 "token:robot-7|20002|deny" pg_sql "SELECT subject || '|' || uid || '|' || decision
    FROM system.rbac_audit WHERE uid = 20002 AND action = 'write' ORDER BY id LIMIT 1")" \
    "token:robot-7|20002|deny" "token denial row"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'acme'")" '{"a": 1}' "acme/k unchanged"
umount_pinfs
