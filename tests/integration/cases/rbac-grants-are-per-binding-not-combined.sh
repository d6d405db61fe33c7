# A subject's grants are per binding: "admin on acme" plus "readonly on *"
# must not become "admin on *". Each binding's roles apply only to that
# binding's tenants.
rb_policy '[
  {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
  {"uid": 20001, "roles": ["admin"], "tenants": ["acme"]},
  {"uid": 20001, "roles": ["readonly"], "tenants": ["*"]},
  {"uid": 20002, "roles": ["machine"], "tenants": ["lab-*"]},
  {"uid": 20002, "roles": ["dev"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta" "$MNT/lab-1"
for t in acme beta lab-1; do
    echo '{"x":1}' >"$MNT/$t/k"
    echo '{"x":1}' >"$MNT/$t/d"
done

u=20001
step "uid $u: admin on acme, readonly everywhere"
assert_eq "$(as_user $u ls "$MNT")" $'acme\nbeta\nlab-1' "ls /"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"x":2}')" "write=OK close=OK" "write acme"
assert_eq "$(as_user $u probe unlink "$MNT/acme/d")" OK "delete in acme"
assert_eq "$(as_user $u probe open-r "$MNT/beta/k")" OK "read beta"
assert_eq "$(as_user $u probe write-trunc "$MNT/beta/k" '{"x":2}')" open=EACCES "write beta"
assert_eq "$(as_user $u probe write-trunc "$MNT/beta/new" '{"x":2}')" open=EACCES "create in beta"
assert_eq "$(as_user $u probe unlink "$MNT/beta/d")" EACCES "delete in beta"
assert_eq "$(as_user $u probe setxattr "$MNT/beta/k" user.pin.ttl 60)" EACCES "setxattr in beta"
assert_eq "$(as_user $u probe rmdir "$MNT/lab-1")" EACCES "rmdir lab-1"
assert_eq "$(as_user $u probe mkdir "$MNT/zeta")" EACCES "mkdir elsewhere"

u=20002
step "uid $u: machine on lab-*, dev on acme"
assert_eq "$(as_user $u ls "$MNT")" $'acme\nlab-1' "ls /"
assert_eq "$(as_user $u probe write-trunc "$MNT/lab-1/k" '{"x":3}')" "write=OK close=OK" "write lab-1"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"x":3}')" open=EACCES "write acme"
assert_eq "$(as_user $u probe open-r "$MNT/acme/k")" OK "read acme"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" EACCES "stat beta"

assert_eq "$(pg_sql "SELECT tenant_id || '/' || key || '=' || value::text FROM system.memory_pins ORDER BY 1")" \
    $'acme/k={"x": 2}\nbeta/d={"x": 1}\nbeta/k={"x": 1}\nlab-1/d={"x": 1}\nlab-1/k={"x": 3}' "rows"
umount_pinfs
