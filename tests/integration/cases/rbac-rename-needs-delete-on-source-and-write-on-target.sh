# rename inside a tenant needs memory_pin:delete on the source and
# memory_pin:write on the target: a role with only one of them is refused
# and nothing moves; a role with both renames (replacing the target).
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
jq '.roles.deleter = {"memory_pin": ["read", "delete"]}
    | .roles.writer = {"memory_pin": ["read", "write"]}
    | .roles.mover = {"memory_pin": ["read", "write", "delete"]}
    | .bindings += [{"uid": 20001, "roles": ["deleter"], "tenants": ["acme"]},
                    {"uid": 20002, "roles": ["writer"], "tenants": ["acme"]},
                    {"uid": 20003, "roles": ["mover"], "tenants": ["acme"]}]' "$RB_POLICY" >"$RB_POLICY.new"
mv "$RB_POLICY.new" "$RB_POLICY"
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{"src":1}' >"$MNT/acme/src"
echo '{"dst":1}' >"$MNT/acme/dst"
rows() { pg_sql "SELECT key || '=' || value::text FROM system.memory_pins ORDER BY key"; }
before=$(rows)

assert_eq "$(as_user 20001 probe rename "$MNT/acme/src" "$MNT/acme/dst")" EACCES "delete only: onto an existing target"
assert_eq "$(as_user 20001 probe rename "$MNT/acme/src" "$MNT/acme/new")" EACCES "delete only: to a new name"
assert_eq "$(as_user 20002 probe rename "$MNT/acme/src" "$MNT/acme/dst")" EACCES "write only: onto an existing target"
assert_eq "$(as_user 20002 probe rename "$MNT/acme/src" "$MNT/acme/new")" EACCES "write only: to a new name"
assert_fails as_user 20002 mv "$MNT/acme/src" "$MNT/acme/new" 2>/dev/null
assert_eq "$(rows)" "$before" "nothing moved"
# the deleter can delete, the writer can write: the refusals are about rename
assert_eq "$(as_user 20002 probe write-trunc "$MNT/acme/w" '1')" "write=OK close=OK" "writer writes"
assert_eq "$(as_user 20001 probe unlink "$MNT/acme/w")" OK "deleter deletes"

assert_eq "$(as_user 20003 probe rename "$MNT/acme/src" "$MNT/acme/dst")" OK "mover renames onto the target"
assert_eq "$(rows)" 'dst={"src": 1}' "after the rename"
umount_pinfs
