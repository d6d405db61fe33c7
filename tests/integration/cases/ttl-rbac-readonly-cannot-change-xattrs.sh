# Reading user.pin.* needs memory_pin:read, changing it memory_pin:write:
# a readonly uid reads the TTL but setfattr, setxattr of the source and
# removexattr fail with EACCES and change nothing (on both backends); a
# machine uid (read, write) changes the TTL; a uid whose only role has no
# memory_pin actions cannot read the attributes either.
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["readonly"], "tenants": ["*"]},
                     {"uid": 10002, "roles": ["machine"], "tenants": ["*"]},
                     {"uid": 10003, "roles": ["metrics-only"], "tenants": ["*"]}]' \
    '{"metrics-only": {"prometheus": ["query"]}}')
RT_EXTRA="{\"policy\": \"$policy\"}"
rt_pg_sqlite_config
mount_pinfs
for t in acme lab; do
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    f=$MNT/$t/k
    mkdir "$MNT/$t"
    echo '{"v":1}' >"$f"
    setfattr -n user.pin.ttl -v 600 "$f"
    exp=$(getfattr --only-values --absolute-names -n user.pin.expires_at "$f")
    row=$(rt_db "$be" "SELECT ttl_seconds || '|' || expires_at || '|' || source FROM @pins WHERE tenant_id = '$t' AND key = 'k'")

    step "$t: readonly uid 10001"
    assert_eq "$(as_user 10001 probe getxattr "$f" user.pin.ttl)" "OK 600" "$t: readonly reads the TTL"
    assert_eq "$(as_user 10001 probe listxattr "$f" | wc -w)" 8 "$t: readonly lists the attributes (OK + 7 names)"
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.ttl 5)" EACCES "$t: readonly sets the TTL"
    assert_eq "$(as_user 10001 probe setxattr "$f" user.pin.source evil)" EACCES "$t: readonly sets the source"
    assert_eq "$(as_user 10001 probe removexattr "$f" user.pin.ttl)" EACCES "$t: readonly removes the TTL"
    if err=$(as_user 10001 setfattr -n user.pin.ttl -v 5 "$f" 2>&1); then
        fail "$t: setfattr as the readonly uid succeeded"
    fi
    assert_match "$err" 'Permission denied' "$t: setfattr's message as the readonly uid"
    assert_fails as_user 10001 setfattr -x user.pin.ttl "$f" 2>/dev/null
    assert_eq "$(probe getxattr "$f" user.pin.ttl)" "OK 600" "$t: TTL after the readonly uid's attempts"
    assert_eq "$(probe getxattr "$f" user.pin.expires_at)" "OK $exp" "$t: expires_at after the readonly uid's attempts"
    assert_eq "$(rt_db "$be" "SELECT ttl_seconds || '|' || expires_at || '|' || source FROM @pins WHERE tenant_id = '$t' AND key = 'k'")" \
        "$row" "$t: row after the readonly uid's attempts"

    step "$t: uid 10003 without memory_pin actions"
    assert_eq "$(as_user 10003 probe getxattr "$f" user.pin.ttl)" EACCES "$t: a uid without memory_pin:read reads the TTL"
    assert_eq "$(as_user 10003 probe listxattr "$f")" EACCES "$t: a uid without memory_pin:read lists attributes"
    assert_eq "$(as_user 10003 probe setxattr "$f" user.pin.ttl 5)" EACCES "$t: a uid without memory_pin:write sets the TTL"

    step "$t: machine uid 10002 (memory_pin read, write)"
    assert_eq "$(as_user 10002 probe setxattr "$f" user.pin.ttl 900)" OK "$t: machine sets the TTL"
    assert_eq "$(probe getxattr "$f" user.pin.ttl)" "OK 900" "$t: TTL set by the machine uid"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "900|set" "$t: row after the machine uid's change"
    assert_eq "$(as_user 10002 probe removexattr "$f" user.pin.ttl)" OK "$t: machine removes the TTL"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "none|null" "$t: row after the machine uid removed the TTL"
done
umount_pinfs
