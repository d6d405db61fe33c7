# The /.system/health says "ok" while every backend answers and names the
# backend that is down otherwise; /.system/routes lists the route table in
# order (exact names, then globs) with each backend's health, as JSON.
pg_admin "CREATE DATABASE \"${CASE_DB}_lab\" TEMPLATE tmpl"
trap 'pg_admin "DROP DATABASE IF EXISTS \"${CASE_DB}_lab\" WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
main="postgresql:///$CASE_DB?host=$PIT_PG_SOCK"
lab="postgresql:///${CASE_DB}_lab?host=$PIT_PG_SOCK"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20004, "roles": ["readonly"], "tenants": ["*"]}]'
jq -n --arg main "$main" --arg lab "$lab" --arg p "$RB_POLICY" '{mode: "saas", policy: $p, routes: [
    {tenant: "acme", backend: $main}, {tenant: "lab-*", backend: $lab}, {tenant: "*", backend: $main}]}' >"$CONFIG"
mount_pinfs
mkdir "$MNT/lab-1" "$MNT/acme"
echo '{"l":1}' >"$MNT/lab-1/k"
assert_eq "$("$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "${CASE_DB}_lab" -c "SELECT key FROM system.memory_pins")" k \
    "lab-1 is routed to the lab database"

step "all up"
assert_eq "$(cat "$MNT/.system/health")" ok "health"
assert_eq "$(as_user 20004 cat "$MNT/.system/health")" ok "health as another uid"
routes=$(as_user 20004 cat "$MNT/.system/routes")
assert_eq "$(jq -c '[.routes[] | [.tenant, .backend, .up]]' <<<"$routes")" \
    "$(jq -nc --arg m "$main" --arg l "$lab" '[["acme", $m, true], ["lab-*", $l, true], ["*", $m, true]]')" "routes"
assert_eq "$(jq -c '[.backends[] | [.backend, .up]] | sort' <<<"$routes")" \
    "$(jq -nc --arg m "$main" --arg l "$lab" '[[$m, true], [$l, true]] | sort')" "backends"
assert_eq "$(jq -r .mode <<<"$routes")" saas "mode"

step "the lab database goes away"
pg_admin "DROP DATABASE \"${CASE_DB}_lab\" WITH (FORCE)"
health=$(rb_poll_match 5 degraded cat "$MNT/.system/health")
assert_match "$health" "degraded.*${CASE_DB}_lab" "health names the lab backend"
[[ "$health" != *"$CASE_DB?"* ]] || fail "health names the main backend too: $health"
routes=$(cat "$MNT/.system/routes")
assert_eq "$(jq -c '[.routes[] | .up]' <<<"$routes")" '[true,false,true]' "routes' health"
assert_match "$(jq -r --arg l "$lab" '.backends[] | select(.backend == $l) | .down_since' <<<"$routes")" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "down_since"
label=$(jq -r --arg l "$lab" '.backends[] | select(.backend == $l) | .metrics_route' <<<"$routes")
assert_eq "$(rb_metric "pinfs_backend_up{route=\"$label\"}")" 0 "pinfs_backend_up of the lab route"
echo '{"m":1}' >"$MNT/acme/k"
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "m": 1\n}' "the main backend still serves"
umount_pinfs
