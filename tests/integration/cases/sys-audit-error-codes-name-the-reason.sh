# Every audit record of a failed operation carries the code of the errno
# its caller got: setfattr through a descriptor held on a pin that expired
# meanwhile is ENOENT and memory_pin.not_found, a replace of a missing
# attribute is ENODATA and memory_pin.no_such_attribute, a create refused
# by the policy rbac.denied; and after all of it no record says only
# memory_store.error.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["readonly"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
echo '{"b":1}' >"$MNT/acme/short"
stat "$MNT/acme/short" >/dev/null
setfattr -n user.pin.ttl -v 1 "$MNT/acme/short"
python3 - "$MNT/acme/short" <<'PY'
import errno, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
time.sleep(2.2)
try:
    os.setxattr(fd, "user.pin.ttl", b"100")
    sys.exit("setxattr on the expired pin succeeded")
except OSError as e:
    assert e.errno == errno.ENOENT, e
os.close(fd)
PY
python3 - "$MNT/acme/k" <<'PY'
import errno, os, sys
try:
    os.setxattr(sys.argv[1], "user.pin.ttl", b"5", os.XATTR_REPLACE)
    sys.exit("replace of a missing attribute succeeded")
except OSError as e:
    assert e.errno == errno.ENODATA, e
PY
assert_eq "$(as_user 20001 probe write-trunc "$MNT/acme/new" 1)" open=EACCES "create by readonly"

codes() # KEY: "operation error_code" of the failed events of KEY, from the database
{
    pg_sql "SELECT DISTINCT operation || ' ' || coalesce(error_code, '-') FROM system.memory_audit
            WHERE key = '$1' AND NOT success ORDER BY 1"
}
assert_eq "$(rb_poll 2 'xattr_write memory_pin.not_found' codes short)" 'xattr_write memory_pin.not_found' \
    "expired pin"
assert_eq "$(rb_poll 2 'xattr_write memory_pin.no_such_attribute' codes k)" \
    'xattr_write memory_pin.no_such_attribute' "missing attribute"
assert_eq "$(rb_poll 2 'upsert rbac.denied' codes new)" 'upsert rbac.denied' "refused create"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_audit WHERE error_code = 'memory_store.error'")" 0 \
    "records with the catch-all code"
assert_eq "$(jq -r 'select(.error_code == "memory_store.error")' "$MNT/.system/audit")" "" \
    "/.system/audit events with the catch-all code"
umount_pinfs
