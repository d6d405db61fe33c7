# The /.system/events on mount B shows the changes made on mount A (and by psql)
# through PostgreSQL NOTIFY: one JSON line {"time","op","tenant","key","version"} per
# upsert, delete and expiry, within 2 s; a reader scoped to one tenant never
# sees another tenant's events, and a uid bound to nothing sees none.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
            {"uid": 20002, "roles": ["dev"], "tenants": ["beta"]}]'
rb_config
mount_pinfs
A=$MNT A_PID=$PINFS_PID A_LOG=$PINFS_LOG
mkdir "$A/acme" "$A/beta"
MNT=$CASE_DIR/mnt-b
mount_pinfs
B=$MNT B_PID=$PINFS_PID B_LOG=$PINFS_LOG

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
tail -n0 -f "$B/.system/events" >"$CASE_DIR/root.out" 2>&1 &
pids+=($!)
(rb_exec_as 20001 tail -n0 -f "$B/.system/events") >"$CASE_DIR/acme.out" 2>&1 &
pids+=($!)
(rb_exec_as 20002 tail -n0 -f "$B/.system/events") >"$CASE_DIR/beta.out" 2>&1 &
pids+=($!)
(rb_exec_as 20009 tail -n0 -f "$B/.system/events") >"$CASE_DIR/none.out" 2>&1 &
pids+=($!)
sleep 1

seq_of() { jq -r '"\(.op) \(.tenant) \(.key)"' "$CASE_DIR/$1" 2>&1; }
echo '{"a":1}' >"$A/acme/k1"
assert_eq "$(rb_poll 2 "upsert acme k1" seq_of root.out)" "upsert acme k1" "A's write shows on B within 2 s"
echo '{"b":1}' >"$A/beta/k2"
rm "$A/acme/k1"
setfattr -n user.pin.ttl -v 0 "$A/beta/k2"
probe write-trunc "$A/.system/expire" 1 >/dev/null
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('acme', 'from-psql', '1')"
all='upsert acme k1
upsert beta k2
delete acme k1
upsert beta k2
expire beta k2
upsert acme from-psql'
assert_eq "$(rb_poll 3 "$all" seq_of root.out)" "$all" "root on B"
assert_eq "$(rb_poll 2 "$(grep ' acme ' <<<"$all")" seq_of acme.out)" "$(grep ' acme ' <<<"$all")" "uid scoped to acme on B"
assert_eq "$(rb_poll 2 "$(grep ' beta ' <<<"$all")" seq_of beta.out)" "$(grep ' beta ' <<<"$all")" "uid scoped to beta on B"
sleep 0.5
assert_eq "$(cat "$CASE_DIR/none.out")" "" "unbound uid on B"
assert_eq "$(jq -c 'keys_unsorted' "$CASE_DIR/root.out" | sort -u)" '["time","op","tenant","key","version"]' "fields"
assert_eq "$(jq -r '.time' "$CASE_DIR/root.out" | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' || true)" 0 "times"
# the scoped readers' view of A's own feed is filtered too
assert_eq "$(as_user 20001 cat "$A/.system/events" | jq -r .tenant | sort -u)" acme "uid scoped to acme on A"
kill "${pids[@]}"
wait "${pids[@]}" 2>/dev/null || true
pids=()
umount_pinfs
MNT=$A PINFS_PID=$A_PID PINFS_LOG=$A_LOG
umount_pinfs
: "$B_PID" "$B_LOG"
