# A short value that PostgreSQL would print long (1e131071 is 131,072
# digits): the issue's bomb, written by a uid with only read and write, is
# refused with EFBIG at the write, the old value stays, the refusal is
# audited and logged with memory_pin.too_large, and every user can still
# list, stat, read and overwrite the tenant. On PostgreSQL and on SQLite
# (where the same text is refused the same way).
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["machine"], "tenants": ["acme", "lab"]},
                     {"uid": 10002, "roles": ["readonly"], "tenants": ["acme", "lab"]}]')
RT_EXTRA="{\"policy\": \"$policy\"}"
rt_pg_sqlite_config
mount_pinfs

# bomb N FILE: the issue's python3 one-liner as uid 10001; prints OK or the errno name.
bomb()
{
    as_user 10001 /usr/bin/python3 - "$1" "$2" <<'PY'
import errno, sys
n, path = int(sys.argv[1]), sys.argv[2]
try:
    open(path, 'wb').write(('[' + ','.join(['1e131071'] * n) + ']').encode())
    print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
}

for t in acme lab; do
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    mkdir "$MNT/$t"
    as_user 10001 sh -c "echo '{\"v\": 1}' >'$MNT/$t/bomb'"
    as_user 10001 sh -c "echo '[1, 2]' >'$MNT/$t/other'"
    row=$(rt_db "$be" "SELECT CAST(value AS TEXT) || '|' || CAST(updated_at AS TEXT) FROM @pins WHERE tenant_id = '$t' AND key = 'bomb'")

    step "$t: 1000 and 9000 numbers of 131,072 digits each"
    assert_eq "$(bomb 1000 "$MNT/$t/bomb")" EFBIG "$t: 1000 x 1e131071 over the old value"
    assert_eq "$(bomb 9000 "$MNT/$t/bomb")" EFBIG "$t: 9000 x 1e131071 over the old value"
    assert_eq "$(bomb 1000 "$MNT/$t/new")" EFBIG "$t: 1000 x 1e131071 as a new key"
    assert_eq "$(as_user 10001 probe write-trunc "$MNT/$t/bomb" "[1e131071, 1e131071, 1e131071, 1e131071, 1e131071, 1e131071, 1e131071, 1e131071]")" \
        "write=EFBIG close=EFBIG" "$t: 8 numbers (1,048,600 bytes to read) in one write"

    step "$t: nothing changed and everyone is served"
    assert_eq "$(rt_db "$be" "SELECT CAST(value AS TEXT) || '|' || CAST(updated_at AS TEXT) FROM @pins WHERE tenant_id = '$t' AND key = 'bomb'")" \
        "$row" "$t: the stored row"
    assert_eq "$(rt_db "$be" "SELECT count(*) FROM @pins WHERE tenant_id = '$t'")" 2 "$t: rows"
    for uid in 0 10001 10002; do
        assert_eq "$(as_user "$uid" ls "$MNT/$t" | paste -sd ' ')" "bomb other" "$t: ls as uid $uid"
        assert_eq "$(as_user "$uid" cat "$MNT/$t/bomb")" $'{\n  "v": 1\n}' "$t: cat as uid $uid"
        assert_eq "$(as_user "$uid" probe stat "$MNT/$t/bomb")" "OK 13" "$t: stat as uid $uid"
    done
    assert_eq "$(as_user 10001 probe write-trunc "$MNT/$t/bomb" '{"v": 2}')" "write=OK close=OK" "$t: overwrite"
    assert_eq "$(cat "$MNT/$t/bomb")" $'{\n  "v": 2\n}' "$t: the overwrite"

    step "$t: audited and logged"
    audit()
    {
        rt_db "$be" "SELECT count(*) FROM @audit WHERE tenant_id = '$t' AND key = '$1' AND operation = 'upsert'
                     AND NOT success AND error_code = 'memory_pin.too_large' AND uid = 10001"
    }
    assert_eq "$(rb_poll 3 3 audit bomb)" 3 "$t: the three refusals of bomb in memory_audit"
    assert_eq "$(rb_poll 3 1 audit new)" 1 "$t: the refusal of new in memory_audit"
done
assert_match "$(grep -c 'memory_pin.too_large: .*"lab/bomb" by uid 10001' "$PINFS_LOG")" '^[1-9]' "the log names the pin and the uid"
assert_eq "$(cat "$MNT/.system/health")" ok "the daemon still serves"
umount_pinfs
