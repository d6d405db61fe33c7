# tail -f and tail -n0 -f follow /.system/audit: an event appears within 2 s
# of the operation, and an audit reader scoped to one tenant (admin on acme)
# never sees another tenant's events.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20003, "roles": ["admin"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"old":1}' >"$MNT/acme/old"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
tail -f "$MNT/.system/audit" >"$CASE_DIR/f.out" 2>"$CASE_DIR/f.err" &
pids+=($!)
tail -n0 -f "$MNT/.system/audit" >"$CASE_DIR/n0.out" 2>"$CASE_DIR/n0.err" &
pids+=($!)
(rb_exec_as 20003 tail -n0 -f "$MNT/.system/audit") >"$CASE_DIR/scoped.out" 2>"$CASE_DIR/scoped.err" &
pids+=($!)
sleep 1
assert_match "$(cat "$CASE_DIR/f.out")" '"key":"old"' "tail -f prints the existing events"
assert_eq "$(grep -c '"key":"old"' "$CASE_DIR/n0.out" || true)" 0 "tail -n0 -f starts at the end"

count_in() { grep -c "\"key\":\"$2\"" "$CASE_DIR/$1" || true; }
for i in 1 2; do
    echo "{\"n\":$i}" >"$MNT/acme/tail-$i"
    echo "{\"n\":$i}" >"$MNT/beta/hidden-$i"
    assert_eq "$(rb_poll 2 1 count_in f.out "tail-$i")" 1 "tail -f: event $i within 2 s"
    assert_eq "$(rb_poll 2 1 count_in n0.out "tail-$i")" 1 "tail -n0 -f: event $i within 2 s"
    assert_eq "$(rb_poll 2 1 count_in scoped.out "tail-$i")" 1 "scoped tail: event $i within 2 s"
    assert_eq "$(rb_poll 2 1 count_in n0.out "hidden-$i")" 1 "tail -n0 -f: beta event $i"
done
rm "$MNT/beta/hidden-1"
rm "$MNT/acme/tail-1"
assert_eq "$(rb_poll 2 1 sh -c "grep '\"key\":\"tail-1\"' '$CASE_DIR/scoped.out' | grep -c '\"operation\":\"delete\"'")" 1 "scoped: delete"
sleep 0.5
assert_eq "$(grep -c 'hidden' "$CASE_DIR/scoped.out" || true)" 0 "scoped reader saw no beta event"
assert_eq "$(jq -r .tenant "$CASE_DIR/scoped.out" | sort -u)" acme "scoped reader's tenants"
kill "${pids[@]}"
wait "${pids[@]}" 2>/dev/null || true
pids=()
assert_eq "$(rb_audit_json_check "$CASE_DIR/n0.out")" "OK $(wc -l <"$CASE_DIR/n0.out")" "followed lines are whole JSON objects"
umount_pinfs
