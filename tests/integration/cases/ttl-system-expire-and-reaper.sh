# Writing /.system/expire deletes expired rows now (memory_pin:admin: root
# may; a readonly uid and a machine uid, which has memory_pin:write but not
# admin, get EACCES and nothing is deleted), auditing each with operation
# 'expire'. Then the periodic reaper: with reaper_interval_s 1 an expired
# row is deleted without anyone touching it.
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["readonly"], "tenants": ["*"]},
                     {"uid": 10002, "roles": ["machine"], "tenants": ["*"]}]')
RT_EXTRA="{\"policy\": \"$policy\", \"reaper_interval_s\": 3600}"
rt_pg_sqlite_config
mount_pinfs
for t in acme lab; do
    mkdir "$MNT/$t"
    echo '1' >"$MNT/$t/short"
    echo '2' >"$MNT/$t/keep"
    setfattr -n user.pin.ttl -v 1 "$MNT/$t/short"
done
sleep 1.6
assert_eq "$(rt_ttl_row pg acme short)" "1|set" "PostgreSQL row of the expired pin before /.system/expire"
assert_eq "$(rt_ttl_row "$RT_SQLITE" lab short)" "1|set" "SQLite row of the expired pin before /.system/expire"

assert_eq "$(as_user 10001 probe write-trunc "$MNT/.system/expire" 1)" open=EACCES "readonly uid writes /.system/expire"
assert_eq "$(as_user 10002 probe write-trunc "$MNT/.system/expire" 1)" open=EACCES "machine uid writes /.system/expire"
sleep 0.5
assert_eq "$(rt_ttl_row pg acme short)" "1|set" "PostgreSQL row after the refused expire"
assert_eq "$(rt_ttl_row "$RT_SQLITE" lab short)" "1|set" "SQLite row after the refused expire"

assert_eq "$(probe write-trunc "$MNT/.system/expire" 1)" "write=OK close=OK" "root writes /.system/expire"
rows_gone()
{
    [[ -z "$(rt_ttl_row pg acme "$1")$(rt_ttl_row "$RT_SQLITE" lab "$1")" ]]
}
rt_wait_until 5 rows_gone short ||
    fail "expired rows still there 5 s after /.system/expire: pg '$(rt_ttl_row pg acme short)' sqlite '$(rt_ttl_row "$RT_SQLITE" lab short)'"
assert_eq "$(pg_sql "SELECT string_agg(tenant_id || '/' || key, ' ') FROM system.memory_audit WHERE operation = 'expire'")" \
    acme/short "PostgreSQL expire audit rows"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT group_concat(tenant_id || '/' || key, ' ') FROM memory_audit WHERE operation = 'expire'")" \
    lab/short "SQLite expire audit rows"
for t in acme lab; do
    assert_eq "$(ls "$MNT/$t")" keep "$t: ls after /.system/expire"
    assert_eq "$(cat "$MNT/$t/keep")" 2 "$t: the live pin"
done
umount_pinfs

step "the periodic reaper (reaper_interval_s 1)"
RT_EXTRA="{\"policy\": \"$policy\", \"reaper_interval_s\": 1}"
rt_config saas "acme=$(rt_pg_uri)" "lab=$(rt_sqlite_uri "$RT_SQLITE")"
mount_pinfs
for t in acme lab; do
    echo '3' >"$MNT/$t/reaped"
    setfattr -n user.pin.ttl -v 1 "$MNT/$t/reaped"
done
assert_eq "$(rt_ttl_row pg acme reaped) $(rt_ttl_row "$RT_SQLITE" lab reaped)" "1|set 1|set" "rows before the reaper ran"
rt_wait_until 6 rows_gone reaped ||
    fail "the reaper did not delete the expired rows within 6 s: pg '$(rt_ttl_row pg acme reaped)' sqlite '$(rt_ttl_row "$RT_SQLITE" lab reaped)'"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_audit WHERE operation = 'expire' AND key = 'reaped'")" 1 "PostgreSQL audit row of the reaper"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM memory_audit WHERE operation = 'expire' AND key = 'reaped'")" 1 "SQLite audit row of the reaper"
assert_eq "$(ls "$MNT/acme") $(ls "$MNT/lab")" "keep keep" "ls after the reaper"
umount_pinfs
