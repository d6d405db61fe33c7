# Issue 13 items 4 and 5: a uid that held a directory descriptor, its cwd
# and open descriptors in a tenant while bound, and then lost the binding by
# a policy reload, learns nothing more through them within 1 s, even while
# root keeps the kernel's entry and attribute caches of the tenant warm
# (PostgreSQL: the feed is up, so key entries and attributes are cached).
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20003, "roles": ["machine"], "tenants": ["hidden"]}]' true v1
rb_config
mount_pinfs
rv_setup_tenant "$MNT/hidden"
u=20003
rv_hold $u "$MNT/hidden"
trap 'rv_stop' EXIT
assert_eq "$(rv_ask stat r | cut -d' ' -f1-2)" "OK 13" "while bound: stat through the dirfd"
assert_eq "$(rv_ask list)" "OK old r w" "while bound: readdir"
assert_eq "$(rv_ask read)" 'OK {  "r": 1}' "while bound: read"

step "the reload takes hidden away from uid $u"
rb_policy_save '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]' true v2
assert_eq "$(rb_poll 3 v2 jq -r .version "$MNT/.system/policy")" v2 "policy v2 loaded"
assert_eq "$(as_user $u probe stat "$MNT/hidden/r")" EACCES "path walks are refused"
rv_assert_cut_off "$MNT/hidden" pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'w'"
rv_stop
umount_pinfs
