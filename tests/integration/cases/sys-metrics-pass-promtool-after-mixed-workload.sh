# After a workload touching every counter (writes, reads, bad JSON, too
# large, denials, xattrs, rename, delete, mkdir/rmdir, expire, token binds,
# a refused policy reload), /.system/metrics passes `promtool check metrics`
# with no complaint, has the seed's metric families, and carries no tenant or
# key names.
command -v promtool >/dev/null || skip "promtool is not installed"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["tenant-visible"]}]' true m-1
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
mkdir "$MNT/tenant-visible" "$MNT/tenant-qx7secret"
for i in 1 2 3; do echo "{\"i\":$i}" >"$MNT/tenant-qx7secret/key-qx7secret-$i"; done
echo '{"v":1}' >"$MNT/tenant-visible/k"
cat "$MNT/tenant-qx7secret/key-qx7secret-1" >/dev/null
probe write-trunc "$MNT/tenant-visible/bad" 'nope' >/dev/null
head -c 1048577 /dev/zero | tr '\0' 1 | probe write-trunc "$MNT/tenant-visible/big" - >/dev/null
as_user 20001 probe open-r "$MNT/tenant-qx7secret/key-qx7secret-1" >/dev/null
as_user 20001 probe write-trunc "$MNT/tenant-visible/k" '{}' >/dev/null
as_user 20001 probe open-r "$MNT/.system/audit" >/dev/null
setfattr -n user.pin.ttl -v 0 "$MNT/tenant-qx7secret/key-qx7secret-2"
getfattr -d "$MNT/tenant-visible/k" >/dev/null 2>&1
mv "$MNT/tenant-qx7secret/key-qx7secret-3" "$MNT/tenant-qx7secret/key-qx7secret-4"
rm "$MNT/tenant-qx7secret/key-qx7secret-4"
mkdir "$MNT/tenant-tmp" && rmdir "$MNT/tenant-tmp"
probe write-trunc "$MNT/.system/expire" 1 >/dev/null
rb_cred 20002 "$(rb_mint alice dev tenant-visible 600)" >/dev/null
rb_cred 20003 "not-a-token" >/dev/null
printf '{' | rb_policy_save_raw
sleep 1.5
ls -l "$MNT/tenant-visible" >/dev/null

cat "$MNT/.system/metrics" >"$CASE_DIR/metrics.txt"
out=$(promtool check metrics <"$CASE_DIR/metrics.txt" 2>&1) && rc=0 || rc=$?
[[ $rc == 0 && -z "$out" ]] || fail "promtool check metrics (exit $rc):"$'\n'"$out"
for family in memory_pins_operations_total memory_pins_latency_seconds rbac_decisions_total \
    rbac_policy_loads_total rbac_policy_version_info pinfs_backend_up pinfs_audit_dropped_total; do
    assert_match "$(cat "$CASE_DIR/metrics.txt")" "# TYPE $family " "family $family"
done
assert_eq "$(grep -c 'qx7secret' "$CASE_DIR/metrics.txt" || true)" 0 "tenant or key names in the metrics"
assert_eq "$(grep -cE '[{,](tenant|key)="' "$CASE_DIR/metrics.txt" || true)" 0 "tenant or key labels"
umount_pinfs
