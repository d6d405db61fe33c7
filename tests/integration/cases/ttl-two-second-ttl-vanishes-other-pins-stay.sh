# A pin with a 2-second TTL is gone for cat, stat and ls within 3 s of the
# setfattr, on both backends, with every cache warmed first and the reaper
# far away (reaper_interval_s 3600): expiry does not wait for the reaper.
# Pins without a TTL or with a long one stay. Before the deadline it is
# still there.
RT_EXTRA='{"reaper_interval_s": 3600}'
rt_pg_sqlite_config
mount_pinfs
for t in acme lab; do
    mkdir "$MNT/$t"
    echo '{"short":true}' >"$MNT/$t/short"
    echo '{"keep":true}' >"$MNT/$t/keep"
    echo '{"long":true}' >"$MNT/$t/long"
    setfattr -n user.pin.ttl -v 3600 "$MNT/$t/long"
done
t0=$(rt_now_ms)
for t in acme lab; do
    setfattr -n user.pin.ttl -v 2 "$MNT/$t/short"
done
# Warm the kernel's and the daemon's caches.
for t in acme lab; do
    cat "$MNT/$t/short" >/dev/null
    stat "$MNT/$t/short" >/dev/null
    ls -l "$MNT/$t" >/dev/null
done
for t in acme lab; do
    assert_eq "$(ls "$MNT/$t")" $'keep\nlong\nshort' "$t: ls right after setting the TTL"
    assert_eq "$(cat "$MNT/$t/short")" $'{\n  "short": true\n}' "$t: cat right after setting the TTL"
done
(($(rt_now_ms) - t0 < 1500)) || step "note: the checks before the deadline took $(($(rt_now_ms) - t0)) ms"

gone()
{
    local t
    for t in acme lab; do
        [[ "$(probe open-r "$MNT/$t/short")" == ENOENT ]] || return 1
        [[ "$(probe stat "$MNT/$t/short")" == ENOENT ]] || return 1
        [[ "$(ls "$MNT/$t")" == $'keep\nlong' ]] || return 1
    done
}
rt_wait_until 5 gone || true
elapsed=$(($(rt_now_ms) - t0))
step "expired for every reader $elapsed ms after setfattr"
for t in acme lab; do
    assert_eq "$(probe open-r "$MNT/$t/short")" ENOENT "$t: open of the expired pin"
    assert_eq "$(probe stat "$MNT/$t/short")" ENOENT "$t: stat of the expired pin"
    assert_eq "$(ls "$MNT/$t")" $'keep\nlong' "$t: ls after expiry"
    assert_fails cat "$MNT/$t/short" 2>/dev/null
    assert_eq "$(cat "$MNT/$t/keep")" $'{\n  "keep": true\n}' "$t: the pin without a TTL"
    assert_eq "$(cat "$MNT/$t/long")" $'{\n  "long": true\n}' "$t: the pin with a long TTL"
done
((elapsed <= 3000)) || fail "the 2-second pins vanished only after $elapsed ms (limit 3000)"
((elapsed >= 1500)) || fail "the 2-second pins vanished after only $elapsed ms"
step "rows still present (the reaper has not run): pg $(rt_ttl_row pg acme short), sqlite $(rt_ttl_row "$RT_SQLITE" lab short)"
umount_pinfs
