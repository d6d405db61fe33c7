# Each file operation is one audit event, shown in /.system/audit and stored
# (asynchronously, within 2 s) in system.memory_audit with uid and subject:
# mkdir, upsert (echo >), read (cat), xattr changes (setfattr, setfattr -x),
# rename (mv), delete (rm), rmdir; in that order, nothing more.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20003, "roles": ["admin"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
u=20003
as_user $u mkdir "$MNT/acme"
as_user $u sh -c 'echo "{\"a\":1}" >"$1"' _ "$MNT/acme/k1"
as_user $u cat "$MNT/acme/k1" >/dev/null
as_user $u setfattr -n user.pin.ttl -v 3600 "$MNT/acme/k1"
as_user $u setfattr -x user.pin.ttl "$MNT/acme/k1"
as_user $u mv "$MNT/acme/k1" "$MNT/acme/k2"
as_user $u rm "$MNT/acme/k2"
as_user $u rmdir "$MNT/acme"
expected='mkdir  t uid:20003 20003
upsert k1 t uid:20003 20003
read k1 t uid:20003 20003
xattr_write k1 t uid:20003 20003
xattr_write k1 t uid:20003 20003
rename k2 t uid:20003 20003
delete k2 t uid:20003 20003
rmdir  t uid:20003 20003'
rows() { pg_sql "SELECT operation || ' ' || coalesce(key, '') || ' ' || success || ' ' || subject || ' ' || uid
                 FROM system.memory_audit WHERE tenant_id = 'acme' ORDER BY created_at, id" | sed 's/ true / t /'; }
assert_eq "$(rb_poll 2 "$expected" rows)" "$expected" "system.memory_audit rows"
assert_eq "$(jq -r 'select(.tenant == "acme") | "\(.operation) \(.key) \(.success) \(.subject) \(.uid)"' "$MNT/.system/audit" |
    sed 's/ true / t /')" "$expected" "/.system/audit events"
umount_pinfs
