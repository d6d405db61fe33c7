# Hiding other tenants from a caller is filtering, not a refusal: reading
# /.system/events (open to anyone) and listing / write no rbac_audit row
# and move no rbac_decisions_total counter, whoever reads and however
# often, on both drivers; the filtering itself still holds (each reader
# sees only its own tenants). Four readers of events in loops, meanwhile,
# cannot push the writers' upserts out of memory_audit: none is dropped.
RT_SQLITE=$CASE_DIR/lab.db
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 20001, "roles": ["machine"], "tenants": ["acme"]},
                     {"uid": 20004, "roles": ["readonly"], "tenants": ["*"]}]')
RT_EXTRA=$(jq -nc --arg p "$policy" '{policy: $p}') rt_config saas "acme=$(rt_pg_uri)" \
    "lab=$(rt_sqlite_uri "$RT_SQLITE")" "lab-*=$(rt_sqlite_uri "$RT_SQLITE")" "*=$(rt_pg_uri)"
rt_migrate
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"
for i in $(seq 1 12); do
    mkdir "$MNT/hidden-$i" "$MNT/lab-$i"
    echo "{\"h\":$i}" >"$MNT/hidden-$i/k"
    echo "{\"l\":$i}" >"$MNT/lab-$i/k"
done
echo '{"a":1}' >"$MNT/acme/k"
echo '{"l":0}' >"$MNT/lab/k"

rbac_rows() { echo "$(pg_sql "SELECT count(*) FROM system.rbac_audit") $(rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM rbac_audit")"; }
denials() # the sum of every deny and would_deny sample, read by uid 20004 ("*" scope)
{
    as_user 20004 cat "$MNT/.system/metrics" |
        awk '$1 ~ /^rbac_decisions_total\{/ && $1 !~ /decision="allow"/ { s += $2 } END { print s + 0 }'
}
sleep 0.5 # the setup's own rows are written
rows0=$(rbac_rows)
den0=$(denials)

step "events and ls / as a scoped uid, an unbound one and root"
for u in 20001 20005 0; do
    for _ in $(seq 1 10); do
        as_user $u cat "$MNT/.system/events" >/dev/null
        as_user $u ls "$MNT" >/dev/null
    done
done
assert_eq "$(as_user 20001 ls "$MNT" | tr '\n' ' ')" "acme " "20001 lists only its tenant"
assert_eq "$(as_user 20005 ls "$MNT" | tr '\n' ' ')" "" "the unbound uid lists nothing"
assert_eq "$(as_user 20001 jq -r .tenant "$MNT/.system/events" | sort -u | tr '\n' ' ')" "acme " \
    "20001's events are acme's only"
assert_eq "$(as_user 20005 cat "$MNT/.system/events" | wc -l)" 0 "the unbound uid sees no event"
assert_eq "$(as_user 0 jq -r .tenant "$MNT/.system/events" | sort -u | wc -l)" 26 "root sees every tenant's"
sleep 0.5
assert_eq "$(rbac_rows)" "$rows0" "rbac_audit rows (PostgreSQL SQLite)"
assert_eq "$(denials)" "$den0" "rbac_decisions_total deny and would_deny"

step "four event readers in loops do not cost anyone's upserts"
dropped0=$(rb_metric pinfs_audit_dropped_total)
pids=()
for _ in 1 2 3 4; do
    (rb_exec_as 20005 sh -c 'end=$(($(date +%s) + 4)); while [ "$(date +%s)" -lt $end ]; do cat "$1" >/dev/null; done' _ "$MNT/.system/events") &
    pids+=($!)
done
for i in $(seq 1 20); do
    as_user 20001 sh -c 'echo "{\"n\":$2}" > "$1"' _ "$MNT/acme/k" "$i"
    echo "{\"n\":$i}" >"$MNT/lab/k"
done
for p in "${pids[@]}"; do wait "$p"; done
assert_eq "$(rb_poll 3 20 pg_sql "SELECT count(*) FROM system.memory_audit WHERE operation = 'upsert'
    AND tenant_id = 'acme' AND uid = 20001 AND success")" 20 "20001's upserts in PostgreSQL's memory_audit"
assert_eq "$(rb_poll 3 21 rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM memory_audit WHERE operation = 'upsert'
    AND tenant_id = 'lab' AND uid = 0")" 21 "root's upserts in SQLite's memory_audit"
assert_eq "$(rb_metric pinfs_audit_dropped_total)" "$dropped0" "nothing dropped"
assert_eq "$(rbac_rows)" "$rows0" "still no rbac_audit row"
umount_pinfs
