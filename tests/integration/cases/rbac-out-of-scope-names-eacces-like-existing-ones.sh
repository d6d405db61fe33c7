# Outside the caller's scope every name answers EACCES whether it exists or
# not (so hidden tenants and keys cannot be told apart, not even by mkdir's
# EEXIST or rmdir's ENOTEMPTY); inside the scope a missing name is ENOENT.
rb_policy '[
  {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
  {"uid": 20001, "roles": ["dev"], "tenants": ["acme", "lab-*"]},
  {"uid": 20002, "roles": ["admin"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta" "$MNT/lab-1"
echo '{"s":1}' >"$MNT/acme/k"
echo '{"secret":1}' >"$MNT/beta/k"
echo '{"s":1}' >"$MNT/lab-1/k"

# every probe of one path, one line each
probe_all()
{
    local u=$1 p=$2
    as_user "$u" probe stat "$p"
    as_user "$u" probe open-r "$p"
    as_user "$u" probe access "$p" f
    as_user "$u" probe getxattr "$p" user.pin.source
    as_user "$u" probe listxattr "$p"
    as_user "$u" probe setxattr "$p" user.pin.ttl 60
    as_user "$u" probe removexattr "$p" user.pin.ttl
    as_user "$u" probe write-trunc "$p" '{"x":1}'
    as_user "$u" probe unlink "$p"
    as_user "$u" probe readdir "$p"
}

for u in 20001 20002; do
    step "uid $u: keys of a hidden tenant"
    existing=$(probe_all $u "$MNT/beta/k")
    missing=$(probe_all $u "$MNT/beta/nope")
    assert_eq "$existing" "$missing" "uid $u: existing vs missing key in beta"
    assert_eq "$(sort -u <<<"$existing" | tr '\n' ' ')" "EACCES open=EACCES " "uid $u: every answer is EACCES"
    assert_eq "$(probe_all $u "$MNT/ghost/k")" "$existing" "uid $u: key of a tenant that does not exist"

    step "uid $u: hidden tenant names"
    t_exist=$(probe_all $u "$MNT/beta"; as_user $u probe mkdir "$MNT/beta"; as_user $u probe rmdir "$MNT/beta")
    t_ghost=$(probe_all $u "$MNT/ghost"; as_user $u probe mkdir "$MNT/ghost"; as_user $u probe rmdir "$MNT/ghost")
    assert_eq "$t_exist" "$t_ghost" "uid $u: existing vs missing tenant"
    assert_eq "$(sort -u <<<"$t_exist" | tr '\n' ' ')" "EACCES open=EACCES " "uid $u: every tenant answer is EACCES"
done

step "inside the scope a missing name is ENOENT"
assert_eq "$(as_user 20001 probe stat "$MNT/acme/nope")" ENOENT "missing key in acme"
assert_eq "$(as_user 20001 probe open-r "$MNT/acme/nope")" ENOENT "open missing key in acme"
assert_eq "$(as_user 20001 probe getxattr "$MNT/acme/nope" user.pin.source)" ENOENT "getxattr missing key"
assert_eq "$(as_user 20001 probe stat "$MNT/lab-9")" ENOENT "missing tenant matching lab-*"
assert_eq "$(as_user 20001 probe stat "$MNT/lab-1/nope")" ENOENT "missing key in lab-1"
assert_eq "$(as_user 20002 probe unlink "$MNT/acme/nope")" ENOENT "admin unlink of a missing key"
assert_eq "$(as_user 20001 probe stat "$MNT/acme/k")" "OK 13" "existing key in acme"

step "nothing changed"
assert_eq "$(pg_sql "SELECT tenant_id || '/' || key || ' ' || coalesce(ttl_seconds::text, '-') FROM system.memory_pins ORDER BY 1")" \
    $'acme/k -\nbeta/k -\nlab-1/k -' "rows"
assert_eq "$(pg_sql "SELECT string_agg(name, ' ' ORDER BY name) FROM system.tenants")" "acme beta lab-1" "tenants"
umount_pinfs
