# The metrics file (/.system/metrics) counts every tenant's operations and decisions, so it
# needs prometheus:query on a binding scoped to "*" (like /.system/routes);
# a tenant-scoped holder gets EACCES. Its route labels are numbers that
# reveal no address (no URI, host, database or file path), and
# /.system/routes maps each to its backend. /.system/health, open to
# anyone, names a down backend by that label only, unless the reader may
# read the routes.
main="postgresql:///$CASE_DB?host=$PIT_PG_SOCK"
lab_db=$(rt_extra_db lab migrated)
trap 'rt_drop_extra_dbs' EXIT
lab="postgresql:///$lab_db?host=$PIT_PG_SOCK"
RT_SQLITE=$CASE_DIR/side.db
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
            {"uid": 20003, "roles": ["admin"], "tenants": ["acme", "lab-1"]},
            {"uid": 20004, "roles": ["readonly"], "tenants": ["*"]}]'
jq -n --arg main "$main" --arg lab "$lab" --arg side "$(rt_sqlite_uri "$RT_SQLITE")" --arg p "$RB_POLICY" \
    '{mode: "saas", policy: $p, routes: [{tenant: "acme", backend: $main}, {tenant: "lab-*", backend: $lab},
      {tenant: "side", backend: $side}]}' >"$CONFIG"
rt_migrate
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab-1" "$MNT/side"
echo '{}' >"$MNT/acme/k"

step "who may read metrics"
for u in 20001 20003 20005; do
    assert_eq "$(as_user $u probe open-r "$MNT/.system/metrics")" EACCES "metrics as uid $u (scoped or unbound)"
    assert_eq "$(as_user $u probe access "$MNT/.system/metrics" r)" EACCES "access(R_OK) as uid $u"
done
metrics=$(as_user 20004 cat "$MNT/.system/metrics")
assert_match "$metrics" 'memory_pins_operations_total' "readonly on * reads metrics"

step "route labels name no backend"
for secret in postgresql sqlite "$CASE_DB" "$lab_db" "$PIT_PG_SOCK" side.db; do
    assert_eq "$(grep -c -F -- "$secret" <<<"$metrics" || true)" 0 "\"$secret\" in metrics"
done
assert_eq "$(grep -o '^pinfs_backend_up{[^}]*}' <<<"$metrics" | sort | tr '\n' ' ')" \
    'pinfs_backend_up{route="0"} pinfs_backend_up{route="1"} pinfs_backend_up{route="2"} ' "backend_up labels"
routes=$(as_user 20004 cat "$MNT/.system/routes")
assert_eq "$(jq -c '[.routes[] | .metrics_route] | sort' <<<"$routes")" '["0","1","2"]' "each route has its label"
assert_eq "$(jq -c '[.backends[] | .metrics_route] | sort' <<<"$routes")" '["0","1","2"]' "each backend has its label"
L=$(jq -r --arg l "$lab" '.backends[] | select(.backend == $l) | .metrics_route' <<<"$routes")
M=$(jq -r --arg m "$main" '.backends[] | select(.backend == $m) | .metrics_route' <<<"$routes")
assert_eq "$(jq -r '.routes[] | select(.tenant == "lab-*") | .metrics_route' <<<"$routes")" "$L" "route lab-* has its backend's label"

step "the lab database goes away: health names it by its label for other users"
pg_admin "DROP DATABASE \"$lab_db\" WITH (FORCE)"
health=$(rb_poll_match 5 degraded as_user 20001 cat "$MNT/.system/health")
assert_eq "$health" "$(grep '^degraded' <<<"$health")" "health as 20001"
assert_match "$health" "^degraded: backend route=\"$L\" down since [0-9T:-]+Z\$" "20001 sees the label"
star_health=$(as_user 20004 cat "$MNT/.system/health")
[[ "$star_health" == "degraded: backend \"$lab\" (route=\"$L\") down since "* ]] ||
    fail "a \"*\" reader should see the backend and its label: $star_health"
assert_eq "$(rb_metric "pinfs_backend_up{route=\"$L\"}")" 0 "pinfs_backend_up of the lab backend"
assert_eq "$(rb_metric "pinfs_backend_up{route=\"$M\"}")" 1 "pinfs_backend_up of the main backend"
umount_pinfs
