# Without a "*" route, a caller outside a tenant's scope gets the same
# answer (EACCES) for a tenant that has no route as for one that has, so
# the route table cannot be probed name by name: lookups, stat, open,
# create, unlink, rename, readdir, xattrs, mkdir and rmdir alike. A caller
# whose scope holds the name still gets ENXIO for a missing route. Routes
# on PostgreSQL and SQLite.
RT_SQLITE=$CASE_DIR/lab.db
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
            {"uid": 20002, "roles": ["admin"], "tenants": ["*"]}]'
RT_EXTRA=$(jq -nc --arg p "$RB_POLICY" '{policy: $p}') rt_config saas "acme=$(rt_pg_uri)" \
    "beta=$(rt_pg_uri)" "lab-*=$(rt_sqlite_uri "$RT_SQLITE")"
rt_migrate
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta" "$MNT/lab-1"
echo '{"b":1}' >"$MNT/beta/k"
echo '{"l":1}' >"$MNT/lab-1/k"

probe_all() # UID PATH: one line per operation
{
    local u=$1 p=$2
    as_user "$u" probe stat "$p"
    as_user "$u" probe open-r "$p"
    as_user "$u" probe access "$p" f
    as_user "$u" probe getxattr "$p" user.pin.source
    as_user "$u" probe setxattr "$p" user.pin.ttl 60
    as_user "$u" probe write-trunc "$p" '{"x":1}'
    as_user "$u" probe create-excl "$p"
    as_user "$u" probe unlink "$p"
    as_user "$u" probe rename "$p" "$p-2"
    as_user "$u" probe readdir "$p"
    as_user "$u" probe mkdir "$p"
    as_user "$u" probe rmdir "$p"
}

for u in 20001 20005; do
    for name in beta lab-1 lab-9; do
        step "uid $u: routed $name against unrouted zeta"
        assert_eq "$(probe_all $u "$MNT/zeta")" "$(probe_all $u "$MNT/$name")" "uid $u: tenant zeta vs $name"
        assert_eq "$(probe_all $u "$MNT/zeta/k")" "$(probe_all $u "$MNT/$name/k")" "uid $u: key zeta/k vs $name/k"
    done
    assert_eq "$(probe_all $u "$MNT/zeta/k" | sort -u | tr '\n' ' ')" "EACCES open=EACCES " "uid $u: every answer is EACCES"
done

step "in scope, a missing route is ENXIO"
assert_eq "$(as_user 20002 probe stat "$MNT/zeta")" ENXIO "stat zeta by a * scope"
assert_eq "$(as_user 20002 probe mkdir "$MNT/zeta")" ENXIO "mkdir zeta by a * scope"
assert_eq "$(as_user 20002 probe stat "$MNT/beta/k")" "OK 13" "stat beta/k by a * scope"
assert_eq "$(as_user 20002 probe stat "$MNT/lab-9")" ENOENT "stat of a routed tenant that does not exist"

step "nothing changed"
assert_eq "$(pg_sql "SELECT tenant_id || '/' || key FROM system.memory_pins ORDER BY 1")" "beta/k" "PostgreSQL rows"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT tenant_id || '/' || key FROM memory_pins ORDER BY 1")" "lab-1/k" "SQLite rows"
umount_pinfs
