# A password in a route's backend URI never reaches what other users can
# read: /.system/routes (readable with prometheus:query and a "*" scope),
# /.system/metrics (route labels; readable with prometheus:query and a "*"
# scope; a tenant-scoped dev gets EACCES), /.system/health
# and /.system/whoami. (The test cluster trusts local connections, so the
# password is accepted and unused.)
pw="pw-$RANDOM$RANDOM-s3cr3t"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
            {"uid": 20004, "roles": ["readonly"], "tenants": ["*"]}]'
jq -n --arg be "postgresql://root:$pw@/$CASE_DB?host=$PIT_PG_SOCK" --arg p "$RB_POLICY" \
    '{mode: "saas", policy: $p, routes: [{tenant: "*", backend: $be}]}' >"$CONFIG"
mount_pinfs
mkdir "$MNT/acme"
echo '{}' >"$MNT/acme/k"
assert_eq "$(jq -r '.routes | length' "$MNT/.system/routes")" 1 "routes readable"
for f in routes metrics health whoami policy; do
    assert_eq "$(grep -c -- "$pw" "$MNT/.system/$f" || true)" 0 "password in /.system/$f"
done
assert_eq "$(as_user 20001 probe open-r "$MNT/.system/metrics")" EACCES "metrics as a tenant-scoped dev"
assert_eq "$(as_user 20004 cat "$MNT/.system/metrics" | grep -c -- "$pw" || true)" 0 "password in metrics as readonly"
assert_eq "$(as_user 20001 cat "$MNT/.system/health" | grep -c -- "$pw" || true)" 0 "password in health as dev"
assert_eq "$(as_user 20004 cat "$MNT/.system/routes" | grep -c -- "$pw" || true)" 0 "password in routes as readonly"
assert_eq "$(grep -c -- "$pw" /proc/"$PINFS_PID"/cmdline || true)" 0 "password in the daemon's argv"
umount_pinfs
