# Every way of deleting needs memory_pin:delete (DESIGN.md section 7): a
# TTL that schedules a committed pin's deletion (any TTL on a pin without
# one, or an expiry earlier than the current one, ttl=0 included) is EACCES
# for a read+write role, changes nothing, and is audited (rbac_audit:
# action delete, decision deny; memory_audit: xattr_write, rbac.denied).
# Extending an expiry and removing the TTL need write only, and so does a
# TTL staged on a new file by its creator before the first commit. A role
# with delete may shorten. Both drivers.
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["machine"], "tenants": ["*"]},
                     {"uid": 10002, "roles": ["keeper"], "tenants": ["*"]}]' \
    '{"keeper": {"memory_pin": ["read", "write", "delete"]}}')
RT_EXTRA="{\"policy\": \"$policy\"}"
rt_pg_sqlite_config
mount_pinfs
rbac_rows() # BACKEND TENANT: "action|decision|reason" of uid 10001's denials, one line
{
    local table=rbac_audit
    [[ "$1" == pg ]] && table=system.rbac_audit
    rt_db "$1" "SELECT action || '|' || decision || '|' || reason FROM $table
                WHERE uid = 10001 AND tenant_id = '$2' ORDER BY id" | paste -sd ' '
}
for t in acme lab; do
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    f=$MNT/$t/k
    mkdir "$MNT/$t"
    echo '{"v":1}' >"$f"

    step "$t: a TTL on a pin that has none"
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.ttl 0)" EACCES "$t: ttl=0 by read+write"
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.ttl 3600)" EACCES "$t: ttl=3600 by read+write"
    if err=$(as_user 10001 setfattr -n user.pin.ttl -v 0 "$f" 2>&1); then
        fail "$t: setfattr -v 0 by the read+write uid succeeded"
    fi
    assert_match "$err" 'Permission denied' "$t: setfattr's message"
    sleep 1.1    # a ttl=0 or ttl=1 that got through would have expired by now
    assert_eq "$(as_user 10001 cat "$f" | jq -c .)" '{"v":1}' "$t: the pin is still there"
    assert_eq "$(probe getxattr "$f" user.pin.ttl)" ENODATA "$t: still no TTL"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "none|null" "$t: row after the refusals"
    assert_eq "$(rb_poll 3 "delete|deny|no_permission delete|deny|no_permission delete|deny|no_permission" \
        rbac_rows "$be" "$t")" "delete|deny|no_permission delete|deny|no_permission delete|deny|no_permission" \
        "$t: rbac_audit rows of the refusals"
    assert_eq "$(rb_poll 3 "3" rt_db "$be" "SELECT count(*) FROM @audit WHERE uid = 10001
        AND operation = 'xattr_write' AND NOT success AND error_code = 'rbac.denied'")" 3 \
        "$t: memory_audit rows of the refusals"

    step "$t: shortening and extending an expiry"
    setfattr -n user.pin.ttl -v 600 "$f"
    exp=$(getfattr --only-values --absolute-names -n user.pin.expires_at "$f")
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.ttl 60)" EACCES "$t: shortening 600 to 60"
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.ttl 0)" EACCES "$t: shortening 600 to 0"
    assert_eq "$(probe getxattr "$f" user.pin.expires_at)" "OK $exp" "$t: expiry after the refusals"
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.ttl 900)" OK "$t: extending to 900"
    assert_eq "$(probe getxattr "$f" user.pin.ttl)" "OK 900" "$t: TTL after the extension"
    assert_eq "$(as_user 10001 probe removexattr "$f" user.pin.ttl)" OK "$t: removing the TTL"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "none|null" "$t: row after the removal"
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.source robot)" OK "$t: the source is no deletion"

    step "$t: a TTL staged on a new file before its first commit"
    as_user 10001 /usr/bin/python3 - "$MNT/$t/fresh" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.setxattr(fd, "user.pin.ttl", b"600")
os.write(fd, b'{"fresh":1}')
os.close(fd)
PY
    assert_eq "$(rt_ttl_row "$be" "$t" fresh)" "600|set" "$t: the new pin carries its creator's TTL"
    assert_eq "$(as_user 10001 probe setxattr "$MNT/$t/fresh" user.pin.ttl 5)" EACCES \
        "$t: once committed, shortening it is a deletion again"
    assert_eq "$(rt_ttl_row "$be" "$t" fresh)" "600|set" "$t: the new pin's TTL after the refusal"

    step "$t: a role with delete"
    assert_eq "$(as_user 10002 probe setxattr "$f" user.pin.ttl 0)" OK "$t: ttl=0 with delete"
    assert_eq "$(probe stat "$f")" ENOENT "$t: the pin is gone"
done
umount_pinfs
