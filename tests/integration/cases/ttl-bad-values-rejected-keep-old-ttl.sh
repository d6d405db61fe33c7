# Bad user.pin.ttl values are refused with EINVAL or ERANGE and leave the
# previous TTL and expires_at exactly as they were, on both backends: not a
# number, negative, over 31536000, empty, exponent notation, leading or
# trailing space, a sign, hexadecimal, a fraction, an overflowing number.
# The limits themselves (0 is "expires now"; 31536000) are accepted.
rt_pg_sqlite_config
mount_pinfs
bad=(abc -1 31536001 "" 1e3 " 5" "5 " +5 0x10 1.5 99999999999999999999 "5 abc")
for t in acme lab; do
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    f=$MNT/$t/k
    mkdir "$MNT/$t"
    echo '{"v":1}' >"$f"
    setfattr -n user.pin.ttl -v 600 "$f"
    exp=$(getfattr --only-values --absolute-names -n user.pin.expires_at "$f")
    row=$(rt_db "$be" "SELECT ttl_seconds || '|' || expires_at FROM @pins WHERE tenant_id = '$t' AND key = 'k'")
    for v in "${bad[@]}"; do
        out=$(probe setxattr "$f" user.pin.ttl "$v")
        assert_match "$out" '^(EINVAL|ERANGE)$' "$t: setxattr user.pin.ttl $(printf '%q' "$v")"
        assert_eq "$(probe getxattr "$f" user.pin.ttl)" "OK 600" "$t: ttl after $(printf '%q' "$v")"
    done
    if err=$(setfattr -n user.pin.ttl -v abc "$f" 2>&1); then
        fail "$t: setfattr -v abc succeeded"
    fi
    assert_match "$err" 'Invalid argument|Numerical result out of range' "$t: setfattr's message"
    assert_eq "$(getfattr --only-values --absolute-names -n user.pin.expires_at "$f")" "$exp" "$t: expires_at unchanged"
    assert_eq "$(rt_db "$be" "SELECT ttl_seconds || '|' || expires_at FROM @pins WHERE tenant_id = '$t' AND key = 'k'")" \
        "$row" "$t: row unchanged after every bad value"

    step "$t: the limits"
    assert_eq "$(probe setxattr "$f" user.pin.ttl 31536000)" OK "$t: ttl 31536000"
    assert_eq "$(probe getxattr "$f" user.pin.ttl)" "OK 31536000" "$t: ttl read back"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "31536000|set" "$t: row with the largest TTL"
    echo '{"z":0}' >"$MNT/$t/zero"
    assert_eq "$(probe setxattr "$MNT/$t/zero" user.pin.ttl 0)" OK "$t: ttl 0"
    assert_eq "$(probe stat "$MNT/$t/zero")" ENOENT "$t: a pin with ttl 0 is gone at once"
    assert_eq "$(probe open-r "$MNT/$t/zero")" ENOENT "$t: open of a pin with ttl 0"
    assert_eq "$(ls "$MNT/$t")" k "$t: ls after ttl 0"
done
umount_pinfs
