# Who may use each /.system file: metrics prometheus:query and a binding
# scoped to "*" (it counts every tenant's operations); audit
# memory_pin:admin (and locks); policy policy:read; reload (write) policy:write; routes
# prometheus:query and a binding scoped to "*"; expire (write)
# memory_pin:admin; whoami, health, events and credentials anyone (with a
# policy loaded, even a uid bound to nothing).
rb_policy '[
  {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
  {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
  {"uid": 20002, "roles": ["machine"], "tenants": ["acme"]},
  {"uid": 20003, "roles": ["admin"], "tenants": ["acme"]},
  {"uid": 20004, "roles": ["readonly"], "tenants": ["*"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"

#          uids:    0     20001  20002  20003  20004  20005(unbound)
check()   # FILE MODE EXPECTED...
{
    local file=$1 mode=$2 u i=0 got
    shift 2
    for u in 0 20001 20002 20003 20004 20005; do
        i=$((i + 1))
        got=$(as_user $u probe "$mode" "$MNT/.system/$file")
        assert_eq "$got" "${!i}" "$file ($mode) as uid $u"
    done
}
check metrics open-r  OK     EACCES EACCES EACCES OK     EACCES
check audit   open-r  OK     EACCES EACCES OK     EACCES EACCES
check locks   open-r  OK     EACCES EACCES OK     EACCES EACCES
check policy  open-r  OK     OK     OK     OK     OK     EACCES
check routes  open-r  OK     EACCES EACCES EACCES OK     EACCES
check reload  open-w  OK     EACCES EACCES OK     EACCES EACCES
check expire  open-w  OK     EACCES EACCES OK     EACCES EACCES
check whoami  open-r  OK     OK     OK     OK     OK     OK
check health  open-r  OK     OK     OK     OK     OK     OK
check events  open-r  OK     OK     OK     OK     OK     OK
check credentials open-r OK  OK     OK     OK     OK     OK

step "the allowed ones work with real tools"
assert_match "$(as_user 20004 cat "$MNT/.system/metrics")" 'memory_pins_operations_total' "readonly(*) reads metrics"
assert_eq "$(as_user 20005 cat "$MNT/.system/whoami" | jq -c '{uid, subject}')" '{"uid":20005,"subject":"uid:20005"}' "unbound whoami"
assert_eq "$(as_user 20005 cat "$MNT/.system/health")" ok "unbound health"
assert_eq "$(as_user 20004 cat "$MNT/.system/routes" | jq -r '.routes[0].tenant')" '*' "readonly(*) reads routes"
assert_eq "$(as_user 20003 probe write-trunc "$MNT/.system/expire" 1)" "write=OK close=OK" "admin expires"
assert_fails as_user 20001 cat "$MNT/.system/audit" 2>/dev/null
assert_fails as_user 20005 sh -c 'echo 1 > "$1"' _ "$MNT/.system/expire" 2>/dev/null
umount_pinfs
