# A tenant with no route is ENXIO for every operation (lookup, stat, cat,
# write, mkdir, readdir), is never listed in / even when a backend holds
# rows for it, is logged once per tenant as memory_store.missing_route and
# is counted as pinfs_missing_route_total.
rt_config saas "acme=$(rt_pg_uri)"
# Rows for "other" exist in the only backend, but no route sends "other" there.
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES
        ('acme', 'k', '{\"a\": 1}'), ('other', 'k', '{\"o\": 1}')"
pg_sql "INSERT INTO system.tenants (name) VALUES ('other')"
mount_pinfs

assert_eq "$(ls "$MNT")" acme "ls / (other has rows but no route)"
assert_eq "$(probe readdir "$MNT")" "OK 1" "readdir / (acme)"

step "every operation on an unrouted tenant is ENXIO"
for i in 1 2 3; do
    assert_eq "$(probe stat "$MNT/other")" ENXIO "stat /other (round $i)"
    assert_eq "$(probe stat "$MNT/other/k")" ENXIO "stat /other/k (round $i)"
    assert_eq "$(probe open-r "$MNT/other/k")" ENXIO "open /other/k (round $i)"
    assert_eq "$(probe write-trunc "$MNT/other/k" '{"o":2}')" open=ENXIO "write /other/k (round $i)"
    assert_eq "$(probe readdir "$MNT/other")" ENXIO "readdir /other (round $i)"
done
assert_eq "$(probe mkdir "$MNT/ghost")" ENXIO "mkdir /ghost"
assert_eq "$(probe stat "$MNT/ghost")" ENXIO "stat /ghost"
assert_eq "$(probe write-trunc "$MNT/ghost/k" '{}')" open=ENXIO "write /ghost/k"
if err=$(cat "$MNT/other/k" 2>&1); then
    fail "cat /other/k succeeded: $err"
fi
assert_match "$err" 'No such device or address' "cat's message"
if err=$(bash -c 'echo "{}" >"$1"' _ "$MNT/ghost/k" 2>&1); then
    fail "echo > /ghost/k succeeded"
fi
assert_match "$err" 'No such device or address' "bash's message"

step "nothing changed; the routed tenant still works"
assert_eq "$(ls -A "$MNT")" acme "ls -A / afterwards"
assert_eq "$(pg_sql "SELECT string_agg(tenant_id || '/' || key || '=' || value::text, ' ' ORDER BY tenant_id)
                     FROM system.memory_pins")" 'acme/k={"a": 1} other/k={"o": 1}' "rows"
assert_eq "$(pg_sql "SELECT string_agg(name, ' ' ORDER BY name) FROM system.tenants")" other "tenants rows"
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "a": 1\n}' "cat /acme/k"

step "logged once per tenant, counted in the metrics"
assert_eq "$(grep -c 'memory_store.missing_route' "$PINFS_LOG" || true)" 2 \
    "memory_store.missing_route log lines (one for other, one for ghost)"
assert_eq "$(grep 'memory_store.missing_route' "$PINFS_LOG" | grep -c -w other || true)" 1 "lines naming other"
assert_eq "$(grep 'memory_store.missing_route' "$PINFS_LOG" | grep -c -w ghost || true)" 1 "lines naming ghost"
n=$(rt_metric pinfs_missing_route_total)
[[ -n "$n" ]] || fail "/.system/metrics has no pinfs_missing_route_total"
((n >= 2)) || fail "pinfs_missing_route_total is $n after ENXIO on two tenants"
probe stat "$MNT/ghost" >/dev/null
n2=$(rt_metric pinfs_missing_route_total)
((n2 >= n)) || fail "pinfs_missing_route_total went down: $n -> $n2"
umount_pinfs
