# "enforce": false is shadow mode: what the policy denies is allowed, but
# counted as rbac_decisions_total{decision="would_deny"} (never as "deny")
# and written to system.rbac_audit with decision 'would_deny'. Switching
# enforce on by an editor save makes the same operations fail.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]' false shadow-1
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a":1}' >"$MNT/acme/k"
echo '{"b":1}' >"$MNT/beta/k"
u=20001

sum_decision() # DECISION: the sum of every rbac_decisions_total sample with it
{
    awk -v d="decision=\"$1\"" 'index($1, "rbac_decisions_total{") == 1 && index($1, d) { s += $2 }
        END { print s + 0 }' "$MNT/.system/metrics"
}

assert_eq "$(jq -c .enforce "$MNT/.system/policy")" false "/.system/policy enforce"
assert_eq "$(as_user $u cat "$MNT/.system/whoami" | jq -c .enforce)" false "whoami enforce"
wd0=$(sum_decision would_deny)
d0=$(sum_decision deny)
wdw0=$(rb_metric 'rbac_decisions_total{resource="memory_pin",action="write",decision="would_deny",reason="no_permission"}')
[[ "$wdw0" == absent ]] && wdw0=0

step "what the policy denies is allowed"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"a":2}')" "write=OK close=OK" "dev writes acme"
assert_eq "$(as_user $u probe open-r "$MNT/beta/k")" OK "dev reads beta (out of scope)"
assert_eq "$(as_user $u probe unlink "$MNT/beta/k")" OK "dev deletes beta/k"
assert_eq "$(as_user 20009 probe stat "$MNT/acme/k")" "OK 13" "an unbound uid stats acme/k"
assert_eq "$(pg_sql "SELECT tenant_id || '/' || key || '=' || value::text FROM system.memory_pins ORDER BY 1")" \
    'acme/k={"a": 2}' "rows after the shadow-mode operations"

step "counted as would_deny, never deny"
wd1=$(sum_decision would_deny)
((wd1 >= wd0 + 4)) || fail "would_deny decisions went from $wd0 to $wd1 (expected at least 4 more)"
assert_eq "$(sum_decision deny)" "$d0" "deny decisions in shadow mode"
wdw1=$(rb_metric 'rbac_decisions_total{resource="memory_pin",action="write",decision="would_deny",reason="no_permission"}')
if ! [[ "$wdw1" =~ ^[0-9]+$ ]] || ((wdw1 <= wdw0)); then
    fail "no would_deny write/no_permission counted ($wdw0 -> $wdw1)"
fi

step "system.rbac_audit"
q="SELECT count(*) FROM system.rbac_audit WHERE decision = 'would_deny' AND uid = $u"
assert_eq "$(rb_poll 2 yes pg_sql "SELECT CASE WHEN ($q AND action = 'write' AND tenant_id = 'acme') > 0
    AND ($q AND action = 'read' AND tenant_id = 'beta') > 0
    AND ($q AND action = 'delete' AND tenant_id = 'beta') > 0 THEN 'yes' ELSE 'no' END")" yes \
    "would_deny rows for write acme, read beta, delete beta"
assert_eq "$(rb_poll 2 yes pg_sql "SELECT CASE WHEN count(*) > 0 THEN 'yes' ELSE 'no' END FROM system.rbac_audit
    WHERE decision = 'would_deny' AND uid = 20009")" yes "would_deny rows for the unbound uid"
assert_eq "$(pg_sql "SELECT count(*) FROM system.rbac_audit WHERE decision = 'deny'")" 0 "no deny rows"
assert_eq "$(pg_sql "SELECT DISTINCT policy_version FROM system.rbac_audit")" shadow-1 "policy_version"

step "enforce on"
echo '{"b":1}' >"$MNT/beta/k"
rb_policy_save '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]' true enforce-1
assert_eq "$(rb_poll 2 EACCES as_user $u probe open-r "$MNT/beta/k")" EACCES "beta refused once enforcing"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"a":3}')" open=EACCES "dev's write refused"
((  $(sum_decision deny) > d0 )) || fail "no deny decision counted once enforcing"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'acme'")" '{"a": 2}' "acme/k"
umount_pinfs
