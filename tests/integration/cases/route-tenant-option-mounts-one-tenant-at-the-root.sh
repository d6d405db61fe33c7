# -o tenant=NAME mounts one tenant's directory as the mount's root (like
# JuiceFS --subdir or an NFS export path): its keys are at the root, every
# file operation works there and lands in that tenant's rows, /.system is
# still reachable by name, other tenants are not reachable, and RBAC still
# decides per caller. A mount scoped to a tenant the mounting user may not
# read, to a tenant no route serves, or to an invalid name is refused at
# mount with a message saying why.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a": 1}' >"$MNT/acme/k"
echo '{"b": 1}' >"$MNT/beta/other"
umount_pinfs

mount_pinfs -o tenant=acme
assert_eq "$(ls "$MNT")" k "the root lists acme's keys"
assert_eq "$(jq -c . "$MNT/k")" '{"a":1}' "cat a key at the root"
echo '{"new": true}' >"$MNT/fresh"
mv "$MNT/fresh" "$MNT/renamed"
sed -i 's/true/false/' "$MNT/renamed"
setfattr -n user.pin.ttl -v 3600 "$MNT/renamed"
assert_eq "$(pg_sql "SELECT tenant_id || '/' || key || '=' || value::text FROM system.memory_pins ORDER BY 1")" \
    $'acme/k={"a": 1}\nacme/renamed={"new": false}\nbeta/other={"b": 1}' "rows"
assert_eq "$(probe mkdir "$MNT/sub")" EPERM "mkdir at the root of a tenant mount"
assert_eq "$(probe stat "$MNT/beta")" ENOENT "another tenant is not there"
assert_eq "$(probe stat "$MNT/beta/other")" ENOENT "nor its keys"
assert_eq "$(cat "$MNT/.system/health")" ok "/.system by name"
assert_eq "$(as_user 20001 cat "$MNT/k" | jq -c .)" '{"a":1}' "uid 20001 (dev on acme) reads"
assert_eq "$(as_user 20001 probe write-trunc "$MNT/k" 2)" open=EACCES "uid 20001 may not write"
assert_eq "$(as_user 20009 probe readdir "$MNT")" EACCES "an unbound uid may not list it"
rm "$MNT/renamed"
tool_assert_pins 'acme|k' 'beta|other'
umount_pinfs

step "refused at mount"
refused() # OPTION PATTERN: mounting with OPTION fails, saying PATTERN
{
    start_pinfs -o "$1"
    wait_pinfs_exit 10 || fail "pinfs -o $1 is still running"
    ((PINFS_RC != 0)) || fail "pinfs -o $1 exited 0"
    assert_match "$(cat "$PINFS_LOG")" "$2" "the message of -o $1"
    if is_mounted "$MNT"; then
        fail "-o $1 left a mount"
    fi
}
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["acme"]}]'
refused tenant=beta 'uid 0 may not read tenant "beta" under the policy: mount refused'
refused tenant=.hidden 'not a tenant name'
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
jq '.routes = [{tenant: "acme", backend: .routes[0].backend}]' "$CONFIG" >"$CONFIG.new" && mv "$CONFIG.new" "$CONFIG"
refused tenant=ghost 'no route serves tenant "ghost"'
