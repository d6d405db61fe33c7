# Writing a pin keeps its TTL, on both backends and with several writers
# (echo >, cat >, tee, a Python write, write + fsync): ttl_seconds stays,
# expires_at stays set (never earlier than before), the value changes, and
# source becomes "fs" again.
rt_pg_sqlite_config
mount_pinfs
for t in acme lab; do
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    f=$MNT/$t/k
    mkdir "$MNT/$t"
    echo '{"v":0}' >"$f"
    setfattr -n user.pin.ttl -v 3600 "$f"
    setfattr -n user.pin.source -v importer "$f"
    exp0=$(rt_epoch "$(getfattr --only-values --absolute-names -n user.pin.expires_at "$f")")
    i=0
    for how in echo cat tee python fsync; do
        i=$((i + 1))
        case $how in
        echo) echo "{\"v\":$i}" >"$f" ;;
        cat) printf '{"v":%d}\n' "$i" | cat >"$f" ;;
        tee) printf '{"v":%d}\n' "$i" | tee "$f" >/dev/null ;;
        python) /usr/bin/python3 -c 'import sys; open(sys.argv[1], "w").write("{\"v\": %s}\n" % sys.argv[2])' "$f" "$i" ;;
        fsync) assert_eq "$(probe fsync-write "$f" "{\"v\":$i}")" "write=OK fsync=OK close=OK" "$t: write + fsync" ;;
        esac
        assert_eq "$(cat "$f")" $'{\n  "v": '"$i"$'\n}' "$t: value after writing with $how"
        assert_eq "$(probe getxattr "$f" user.pin.ttl)" "OK 3600" "$t: ttl after writing with $how"
        exp=$(getfattr --only-values --absolute-names -n user.pin.expires_at "$f") ||
            fail "$t: no expires_at after writing with $how"
        (($(rt_epoch "$exp") >= exp0)) || fail "$t: expires_at moved back after writing with $how: $exp"
        assert_eq "$(rt_ttl_row "$be" "$t" k)" "3600|set" "$t: row after writing with $how"
    done
    assert_eq "$(getfattr --only-values --absolute-names -n user.pin.source "$f")" fs "$t: source after the writes"
done
umount_pinfs
