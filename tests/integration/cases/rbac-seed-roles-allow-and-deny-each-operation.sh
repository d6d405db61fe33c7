# Each seed role gets exactly its memory_pin actions, checked with a uid per
# role on one tenant: dev and readonly read only; machine reads and writes
# (create, overwrite, xattrs that do not bring a deletion closer) but cannot
# delete, rename, mkdir or set a TTL that schedules a deletion; admin may
# do everything, including mkdir/rmdir of tenants in its scope. Denied
# operations answer EACCES and change nothing in the database.
scope='["acme", "team-*"]'
rb_policy "$(jq -n --argjson s "$scope" '[
  {uid: 0, roles: ["infra"], tenants: ["*"]},
  {uid: 20001, roles: ["dev"], tenants: $s},
  {uid: 20002, roles: ["readonly"], tenants: $s},
  {uid: 20003, roles: ["machine"], tenants: $s},
  {uid: 20004, roles: ["admin"], tenants: $s}]')"
rb_config
mount_pinfs
mkdir "$MNT/acme"
for k in k del-1 del-2 del-3 del-4 ren-1 ren-2 ren-3 ren-4; do
    echo '{"v":0}' >"$MNT/acme/$k"
done

snapshot()
{
    pg_sql "SELECT tenant_id || '/' || key || '=' || value::text || ' ttl=' || coalesce(ttl_seconds::text, '-')
            FROM system.memory_pins ORDER BY 1"
    pg_sql "SELECT name FROM system.tenants ORDER BY 1"
}

# ---- read: every role -------------------------------------------------------
for u in 20001 20002 20003 20004; do
    step "uid $u reads"
    assert_eq "$(as_user $u probe stat "$MNT/acme/k")" "OK 13" "uid $u stat"
    assert_eq "$(as_user $u probe open-r "$MNT/acme/k")" OK "uid $u open for reading"
    assert_eq "$(as_user $u cat "$MNT/acme/k")" $'{\n  "v": 0\n}' "uid $u cat"
    assert_eq "$(as_user $u probe readdir "$MNT/acme")" "OK 9" "uid $u readdir"
    assert_eq "$(as_user $u probe getxattr "$MNT/acme/k" user.pin.source)" "OK fs" "uid $u getxattr"
    assert_match "$(as_user $u probe listxattr "$MNT/acme/k")" '^OK .*user\.pin\.source' "uid $u listxattr"
    assert_eq "$(as_user $u probe access "$MNT/acme/k" r)" OK "uid $u access r"
done

# ---- dev and readonly: nothing but read ---------------------------------------
before=$(snapshot)
for u in 20001 20002; do
    step "uid $u is refused every change"
    assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"v":1}')" open=EACCES "uid $u overwrite"
    assert_eq "$(as_user $u probe write-trunc "$MNT/acme/new-$u" '{"v":1}')" open=EACCES "uid $u create"
    assert_eq "$(as_user $u probe open-w "$MNT/acme/k")" EACCES "uid $u open for writing"
    assert_eq "$(as_user $u probe truncate "$MNT/acme/k" 2)" EACCES "uid $u truncate"
    assert_eq "$(as_user $u probe access "$MNT/acme/k" w)" EACCES "uid $u access w"
    assert_eq "$(as_user $u probe setxattr "$MNT/acme/k" user.pin.ttl 3600)" EACCES "uid $u setxattr"
    assert_eq "$(as_user $u probe removexattr "$MNT/acme/k" user.pin.ttl)" EACCES "uid $u removexattr"
    assert_eq "$(as_user $u probe unlink "$MNT/acme/del-1")" EACCES "uid $u unlink"
    assert_eq "$(as_user $u probe rename "$MNT/acme/ren-1" "$MNT/acme/ren-x")" EACCES "uid $u rename"
    assert_eq "$(as_user $u probe mkdir "$MNT/team-$u")" EACCES "uid $u mkdir in scope"
    assert_eq "$(as_user $u probe rmdir "$MNT/acme")" EACCES "uid $u rmdir"
    assert_fails as_user $u sh -c 'echo "{}" >"$1"' _ "$MNT/acme/k" 2>/dev/null
    assert_fails as_user $u rm -f "$MNT/acme/del-1" 2>/dev/null
done
assert_eq "$(snapshot)" "$before" "database after dev/readonly attempts"

# ---- machine: read and write, no delete, no admin -----------------------------
u=20003
step "uid $u (machine)"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"v":3}')" "write=OK close=OK" "machine overwrite"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/new-$u" '{"n":3}')" "write=OK close=OK" "machine create"
assert_eq "$(as_user $u probe access "$MNT/acme/k" w)" OK "machine access w"
assert_eq "$(as_user $u probe setxattr "$MNT/acme/k" user.pin.ttl 3600)" EACCES "machine sets a first TTL"
setfattr -n user.pin.ttl -v 3600 "$MNT/acme/k"
assert_eq "$(as_user $u probe setxattr "$MNT/acme/k" user.pin.ttl 7200)" OK "machine extends the TTL"
assert_eq "$(as_user $u probe getxattr "$MNT/acme/k" user.pin.ttl)" "OK 7200" "machine reads its ttl"
assert_eq "$(as_user $u probe setxattr "$MNT/acme/k" user.pin.ttl 60)" EACCES "machine shortens the TTL"
assert_eq "$(as_user $u probe removexattr "$MNT/acme/k" user.pin.ttl)" OK "machine removexattr"
before=$(snapshot)
assert_eq "$(as_user $u probe unlink "$MNT/acme/del-2")" EACCES "machine unlink"
assert_eq "$(as_user $u probe rename "$MNT/acme/ren-2" "$MNT/acme/ren-y")" EACCES "machine rename (source needs delete)"
assert_eq "$(as_user $u probe mkdir "$MNT/team-m")" EACCES "machine mkdir"
assert_eq "$(as_user $u probe rmdir "$MNT/acme")" EACCES "machine rmdir"
assert_eq "$(snapshot)" "$before" "database after machine's refused attempts"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key IN ('k', 'new-$u') ORDER BY key")" \
    $'{"v": 3}\n{"n": 3}' "machine's writes stored"

# ---- admin: everything in scope -------------------------------------------------
u=20004
step "uid $u (admin)"
assert_eq "$(as_user $u probe write-trunc "$MNT/acme/k" '{"v":4}')" "write=OK close=OK" "admin overwrite"
assert_eq "$(as_user $u probe unlink "$MNT/acme/del-3")" OK "admin unlink"
assert_eq "$(as_user $u probe rename "$MNT/acme/ren-3" "$MNT/acme/ren-z")" OK "admin rename"
assert_eq "$(as_user $u probe mkdir "$MNT/team-a")" OK "admin mkdir in scope"
assert_eq "$(as_user $u probe write-trunc "$MNT/team-a/x" '1')" "write=OK close=OK" "admin writes in the new tenant"
assert_eq "$(as_user $u probe unlink "$MNT/team-a/x")" OK "admin empties it"
assert_eq "$(as_user $u probe rmdir "$MNT/team-a")" OK "admin rmdir in scope"
assert_eq "$(as_user $u probe mkdir "$MNT/other")" EACCES "admin mkdir out of scope"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key IN ('del-3', 'ren-3')")" 0 "admin's deletes"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key = 'ren-z'")" 1 "admin's rename target"
assert_eq "$(pg_sql "SELECT string_agg(name, ',' ORDER BY name) FROM system.tenants")" acme "tenants at the end"
umount_pinfs
