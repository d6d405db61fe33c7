# With a policy loaded, root (here also the uid that mounted) is just one
# more subject: without a binding it is refused like anyone else; with a
# readonly binding it can only read.
pg_sql "INSERT INTO system.tenants (name) VALUES ('acme')"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('acme', 'k', '{\"a\": 1}')"
rb_policy '[{"uid": 20001, "roles": ["admin"], "tenants": ["*"]}]'
rb_config
mount_pinfs

step "root without a binding"
assert_eq "$(probe readdir "$MNT")" "OK 0" "root's ls / shows no tenant"
assert_eq "$(probe stat "$MNT/acme/k")" EACCES "root stat"
assert_eq "$(probe open-r "$MNT/acme/k")" EACCES "root open"
assert_eq "$(probe readdir "$MNT/acme")" EACCES "root readdir"
assert_eq "$(probe write-trunc "$MNT/acme/k" '{"a":0}')" open=EACCES "root write"
assert_eq "$(probe unlink "$MNT/acme/k")" EACCES "root unlink"
assert_eq "$(probe mkdir "$MNT/beta")" EACCES "root mkdir"
assert_eq "$(probe setxattr "$MNT/acme/k" user.pin.ttl 5)" EACCES "root setxattr"
assert_eq "$(probe open-r "$MNT/.system/metrics")" EACCES "root metrics"
assert_eq "$(probe open-r "$MNT/.system/audit")" EACCES "root audit"
assert_eq "$(probe open-r "$MNT/.system/policy")" EACCES "root policy"
assert_eq "$(probe open-w "$MNT/.system/reload")" EACCES "root reload"
assert_eq "$(probe open-w "$MNT/.system/expire")" EACCES "root expire"
assert_eq "$(probe open-r "$MNT/.system/whoami")" OK "root whoami (anyone)"
assert_eq "$(as_user 20001 cat "$MNT/acme/k")" $'{\n  "a": 1\n}' "the admin uid reads"

step "root bound readonly"
rb_policy_save '[{"uid": 20001, "roles": ["admin"], "tenants": ["*"]},
                 {"uid": 0, "roles": ["readonly"], "tenants": ["acme"]}]' true test-2
assert_eq "$(rb_poll 3 "OK 13" probe stat "$MNT/acme/k")" "OK 13" "root stat after the reload"
assert_eq "$(cat "$MNT/acme/k")" $'{\n  "a": 1\n}' "root read"
assert_eq "$(probe write-trunc "$MNT/acme/k" '{"a":0}')" open=EACCES "root write"
assert_eq "$(probe unlink "$MNT/acme/k")" EACCES "root unlink"
assert_eq "$(probe mkdir "$MNT/beta")" EACCES "root mkdir"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins")" '{"a": 1}' "row untouched"
assert_eq "$(pg_sql "SELECT count(*) FROM system.tenants")" 1 "no tenant created"
umount_pinfs
