# Indentation amplifies: items 64 levels deep carry 128 spaces each, so a
# 1 MiB value of them would read as 68.7 MB (65x), for every reader and
# every ls -l. The limit is on what a reader gets: such a value is refused
# with EFBIG at the write (by a uid with only read and write), the old
# value stays, the refusal is audited; a deep value whose file fits is
# accepted and stat agrees with cat. On PostgreSQL and on SQLite.
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["machine"], "tenants": ["acme", "lab"]}]')
RT_EXTRA="{\"policy\": \"$policy\"}"
rt_pg_sqlite_config
mount_pinfs

# deep N FILE: 63 arrays around one holding N zeros, written by uid 10001
# in one write(); prints "write=X close=Y" as probe does.
deep()
{
    as_user 10001 /usr/bin/python3 - "$1" "$2" <<'PY'
import errno, os, sys
n, path = int(sys.argv[1]), sys.argv[2]
doc = ("[" * 64 + ",".join(["0"] * n) + "]" * 64).encode()
res = []
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
try:
    os.write(fd, doc)
    res.append("write=OK")
except OSError as e:
    res.append("write=" + errno.errorcode[e.errno])
try:
    os.close(fd)
    res.append("close=OK")
except OSError as e:
    res.append("close=" + errno.errorcode[e.errno])
print(" ".join(res))
PY
}

for t in acme lab; do
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    mkdir "$MNT/$t"
    as_user 10001 sh -c "echo '{\"v\": 1}' >'$MNT/$t/k'"

    step "$t: 1 MiB of items 64 levels deep (68,652,319 bytes to read)"
    assert_eq "$(deep 524000 "$MNT/$t/k")" "write=EFBIG close=EFBIG" "$t: over the old value"
    assert_eq "$(deep 524000 "$MNT/$t/new")" "write=EFBIG close=EFBIG" "$t: a new key"
    # Each item reads as 131 bytes ("\n", 128 spaces, "0,"): 7940 of them make a
    # file of 1,048,459 bytes, 7941 one of 1,048,590.
    assert_eq "$(deep 7941 "$MNT/$t/k")" "write=EFBIG close=EFBIG" "$t: just past 1 MiB to read"
    assert_eq "$(deep 7940 "$MNT/$t/at-limit")" "write=OK close=OK" "$t: just within"
    assert_eq "$(stat -c %s "$MNT/$t/at-limit")" 1048459 "$t: its size"
    assert_eq "$(cat "$MNT/$t/k")" $'{\n  "v": 1\n}' "$t: the old value"
    assert_eq "$(rt_db "$be" "SELECT count(*) FROM @pins WHERE tenant_id = '$t'")" 2 "$t: rows"
    audit()
    {
        rt_db "$be" "SELECT count(*) FROM @audit WHERE tenant_id = '$t' AND operation = 'upsert'
                     AND NOT success AND error_code = 'memory_pin.too_large' AND uid = 10001"
    }
    assert_eq "$(rb_poll 3 3 audit)" 3 "$t: the refusals in memory_audit"

    step "$t: a deep value whose file fits"
    assert_eq "$(deep 7000 "$MNT/$t/fits")" "write=OK close=OK" "$t: 7000 items"
    size=$(stat -c %s "$MNT/$t/fits")
    assert_eq "$size" 925319 "$t: its size"
    assert_eq "$(as_user 10001 cat "$MNT/$t/fits" | wc -c)" "$size" "$t: stat agrees with cat"
    assert_match "$(as_user 10001 ls -l "$MNT/$t" | awk '$NF == "fits" { print $5 }')" "^$size\$" "$t: ls -l"
done
umount_pinfs
