# A write to /.system/reload reloads routes and mode, like SIGHUP. Without a
# policy only root (or the mounting uid) may trigger it: another uid gets
# EACCES and nothing reloads. With a policy it needs policy:write: a
# readonly uid gets EACCES, an admin uid reloads. A lab config with no
# routes is a valid reload (the mode is reloaded too): every tenant is then
# ENXIO, until a reload brings the routes back. The config is edited in
# place through a hard link elsewhere, so the daemon's directory watch does
# not reload on its own.
lab_db=$CASE_DIR/beta.db
beta_route="beta=$(rt_sqlite_uri "$lab_db")"
rt_config_to "$CASE_DIR/migrate.json" saas "$beta_route"
rt_migrate "$CASE_DIR/migrate.json"

step "no policy: root reloads, another uid may not"
rt_config_linked saas "acme=$(rt_pg_uri)"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
rt_config_real saas "acme=$(rt_pg_uri)" "$beta_route"
rt_reload_isolated beta || fail "the config edit reloaded on its own: /.system/reload cannot be isolated"
assert_eq "$(as_user 10001 probe write-trunc "$MNT/.system/reload" 1)" open=EACCES "uid 10001 writes /.system/reload"
sleep 1
assert_eq "$(probe stat "$MNT/beta")" ENXIO "beta after uid 10001's refused reload"
assert_eq "$(probe write-trunc "$MNT/.system/reload" 1)" "write=OK close=OK" "root writes /.system/reload"
rt_wait_probe 5 ENOENT stat "$MNT/beta" || fail "beta is $RT_PROBE_LAST 5 s after root's reload"
mkdir "$MNT/beta"
echo '{"b":1}' >"$MNT/beta/k"
assert_eq "$(rt_sqlite "$lab_db" "SELECT tenant_id || '/' || key FROM memory_pins")" beta/k "beta's pin in its SQLite file"

step "mode: a lab config with no routes is taken; every tenant is then ENXIO"
rt_config_real lab
assert_eq "$(probe write-trunc "$MNT/.system/reload" 1)" "write=OK close=OK" "reload into lab mode with no routes"
rt_wait_probe 5 ENXIO stat "$MNT/acme/k" || fail "acme/k is $RT_PROBE_LAST 5 s after reloading a lab config with no routes"
assert_eq "$(probe stat "$MNT/beta/k")" ENXIO "beta/k in lab mode with no routes"
assert_eq "$(ls "$MNT")" "" "ls / in lab mode with no routes"
rt_config_real saas "acme=$(rt_pg_uri)" "$beta_route"
assert_eq "$(probe write-trunc "$MNT/.system/reload" 1)" "write=OK close=OK" "reload back to saas"
rt_wait_probe 5 "OK 13" stat "$MNT/acme/k" || fail "acme/k is $RT_PROBE_LAST 5 s after reloading the routes back"
assert_eq "$(cat "$MNT/acme/k" "$MNT/beta/k")" $'{\n  "a": 1\n}\n{\n  "b": 1\n}' "values after the round trip"
umount_pinfs

step "with a policy: policy:write is needed"
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["readonly"], "tenants": ["*"]},
                     {"uid": 10002, "roles": ["admin"], "tenants": ["*"]}]')
RT_EXTRA="{\"policy\": \"$policy\"}"
rt_config_linked saas "acme=$(rt_pg_uri)"
mount_pinfs
rt_config_real saas "acme=$(rt_pg_uri)" "$beta_route"
rt_reload_isolated beta || fail "the config edit reloaded on its own: /.system/reload cannot be isolated"
assert_eq "$(as_user 10001 probe write-trunc "$MNT/.system/reload" 1)" open=EACCES "readonly uid 10001 writes /.system/reload"
sleep 1
assert_eq "$(probe stat "$MNT/beta")" ENXIO "beta after the readonly uid's refused reload"
assert_eq "$(as_user 10002 probe write-trunc "$MNT/.system/reload" 1)" "write=OK close=OK" "admin uid 10002 writes /.system/reload"
rt_wait_probe 5 "OK 1" readdir "$MNT/beta" || fail "readdir beta is $RT_PROBE_LAST 5 s after the admin's reload"
assert_eq "$(as_user 10002 cat "$MNT/beta/k")" $'{\n  "b": 1\n}' "beta/k as the admin"
umount_pinfs
