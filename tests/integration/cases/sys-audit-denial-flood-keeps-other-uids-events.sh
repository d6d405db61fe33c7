# One uid that makes the daemon refuse it as fast as it can (every refusal
# is a real denial, audited) cannot push other users' events out of the
# audit: while the audit writer is held up (rbac_audit locked) an unbound
# uid stats hidden names in two loops for 2 s, filling the queue with
# denials as far as it may, and every upsert root and uid 20001 make after
# that, still before the writer is back, reaches memory_audit. The
# flooder's own surplus is dropped and counted.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["machine"], "tenants": ["acme"]}]'
rb_config
# Two pool connections, both made (and their statements prepared) before
# the lock: preparing the rbac_audit INSERT on a new connection would wait
# for the lock too.
jq '.pool = {size: 2}' "$CONFIG" >"$CONFIG.tmp" && mv "$CONFIG.tmp" "$CONFIG"
mount_pinfs
mkdir "$MNT/acme" "$MNT/hidden"
warm=()
for i in 1 2 3 4 5 6; do
    echo "{\"w\":$i}" >"$MNT/acme/warm$i" &
    warm+=($!)
done
for p in "${warm[@]}"; do wait "$p"; done
echo '{"h":1}' >"$MNT/hidden/k"
sleep 0.5
dropped0=$(rb_metric pinfs_audit_dropped_total)

step "rbac_audit locked; uid 20005 floods denials"
pg_sql "BEGIN; LOCK TABLE system.rbac_audit IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT;" >/dev/null 2>&1 &
locker=$!
sleep 0.3
flooders=()
for _ in 1 2; do
    (rb_exec_as 20005 /usr/bin/python3 -c '
import os, sys, time
end = time.time() + 2
n = 0
while time.time() < end:
    try:
        os.stat(sys.argv[1] + "/hidden/k%d" % (n % 50))
    except OSError:
        pass
    n += 1
' "$MNT") &
    flooders+=($!)
done
for p in "${flooders[@]}"; do wait "$p"; done
step "flood over (the queue holds what it let in); root and 20001 write"
for i in $(seq 1 8); do
    echo "{\"root\":$i}" >"$MNT/acme/r$i"
    as_user 20001 sh -c 'echo "{\"u\":$2}" > "$1"' _ "$MNT/acme/u$i" "$i"
done
step "the lock goes"
pg_sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$locker" || true

step "every upsert of root and 20001 is in memory_audit"
assert_eq "$(rb_poll 15 "8 8" pg_sql "SELECT count(*) FILTER (WHERE uid = 0) || ' ' || count(*) FILTER (WHERE uid = 20001)
    FROM system.memory_audit WHERE operation = 'upsert' AND tenant_id = 'acme' AND key NOT LIKE 'warm%' AND success")" "8 8" \
    "upserts of root and 20001 in memory_audit"
dropped=$(($(rb_metric pinfs_audit_dropped_total) - dropped0))
step "$dropped of the flooder's events dropped; $(pg_sql "SELECT count(*) FROM system.rbac_audit WHERE uid = 20005") written"
((dropped > 0)) || fail "the flood was not large enough to test anything (nothing dropped)"
assert_eq "$(pg_sql "SELECT count(*) FROM system.rbac_audit WHERE uid <> 20005")" 0 "no other denial"
rb_daemon_alive || fail "the daemon died"
umount_pinfs
