# PostgreSQL stops under a running mount: operations on its tenants fail
# with EIO within a bound (< 10 s each; never served from a cache, never
# written elsewhere), while the SQLite tenant keeps working at full speed.
# After PostgreSQL restarts (same socket dir and port), the same mount
# works again within the reconnect backoff (capped at 5 s) and still holds
# the old values: the writes that failed with EIO changed nothing. The
# outage lasts long enough (7 s of failing operations) for the backoff to
# reach its cap; recovery must still come within ~8 s.
RT_EXTRA='{"pool": {"size": 2, "wait_ms": 2000, "connect_timeout_s": 2}}'
lab_db=$CASE_DIR/lab.db
rt_config saas "lab=$(rt_sqlite_uri "$lab_db")" "*=$(rt_pg_uri)"
rt_migrate
mount_pinfs
pid=$PINFS_PID
mkdir "$MNT/acme" "$MNT/lab"
echo '{"v":1}' >"$MNT/acme/k"
echo '{"v":"lab"}' >"$MNT/lab/k"
# Warm every cache there is: the value, its attributes, the listing.
cat "$MNT/acme/k" "$MNT/lab/k" >/dev/null
stat "$MNT/acme/k" >/dev/null
ls "$MNT/acme" >/dev/null

rt_pg_stop
t_all=$(rt_now_ms)
eio_op()
{
    local what=$1 expect=$2 out
    shift 2
    rt_timed out probe "$@"
    step "$what: $out ($RT_MS ms)"
    ((RT_MS < 10000)) || fail "$what took $RT_MS ms with PostgreSQL down (bound: 10 s)"
    assert_match "$out" "$expect" "$what with PostgreSQL down"
}
eio_op "open acme/k (a cached pin)" '^EIO$' open-r "$MNT/acme/k"
eio_op "overwrite acme/k" '(^open=EIO$|=EIO$)' write-trunc "$MNT/acme/k" '{"v":2}'
eio_op "create acme/new" '(^open=EIO$|=EIO$)' write-trunc "$MNT/acme/new" '{"new":1}'
eio_op "stat acme/never-seen" '^EIO$' stat "$MNT/acme/never-seen"
eio_op "readdir acme" '^EIO$' readdir "$MNT/acme"
eio_op "mkdir newt" '^EIO$' mkdir "$MNT/newt"
eio_op "unlink acme/k" '^EIO$' unlink "$MNT/acme/k"
if err=$(timeout 10 cat "$MNT/acme/k" 2>&1); then
    fail "cat acme/k succeeded with PostgreSQL down: $err"
fi
assert_match "$err" 'Input/output error' "cat's message with PostgreSQL down"
step "all PostgreSQL operations failed within $(($(rt_now_ms) - t_all)) ms"
# A longer outage, with an operation now and then, so the reconnect backoff
# reaches its cap before the server comes back.
t_end=$(($(rt_now_ms) + 7000))
while (($(rt_now_ms) < t_end)); do
    eio_op "open acme/k during the outage" '^EIO$' open-r "$MNT/acme/k"
    sleep 0.5
done

step "the SQLite tenant is unaffected"
rt_timed out cat "$MNT/lab/k"
assert_eq "$out" $'{\n  "v": "lab"\n}' "cat lab/k with PostgreSQL down"
((RT_MS < 2000)) || fail "cat lab/k took $RT_MS ms with PostgreSQL down"
rt_timed out probe write-trunc "$MNT/lab/k2" '{"w":2}'
assert_eq "$out" "write=OK close=OK" "write lab/k2 with PostgreSQL down"
((RT_MS < 2000)) || fail "write lab/k2 took $RT_MS ms with PostgreSQL down"
assert_eq "$(ls "$MNT/lab")" $'k\nk2' "ls lab with PostgreSQL down"
assert_eq "$(rt_sqlite "$lab_db" "SELECT group_concat(tenant_id || '/' || key, ' ') FROM (SELECT * FROM memory_pins ORDER BY key)")" \
    'lab/k lab/k2' "SQLite rows (nothing of acme's was written there)"

rt_pg_start
if ! rt_wait_until 10 cat "$MNT/acme/k"; then
    fail "acme/k is still unreadable 10 s after PostgreSQL restarted: $(probe open-r "$MNT/acme/k")"
fi
step "acme/k readable again $RT_WAITED_MS ms after the restart"
((RT_WAITED_MS <= 8500)) || fail "the mount needed $RT_WAITED_MS ms to recover (backoff is capped at 5 s)"
assert_eq "$PINFS_PID" "$pid" "same daemon, no remount"
assert_content "$MNT/acme/k" <<'JSON'
{
  "v": 1
}
JSON
assert_eq "$(pg_sql "SELECT string_agg(tenant_id || '/' || key || '=' || value::text, ' ' ORDER BY key) FROM system.memory_pins")" \
    'acme/k={"v": 1}' "PostgreSQL rows after the outage (the EIO writes changed nothing)"
assert_eq "$(pg_sql "SELECT string_agg(name, ' ') FROM system.tenants")" acme "tenants after the outage (mkdir newt failed)"
assert_eq "$(probe stat "$MNT/acme/new")" ENOENT "acme/new (its create failed)"
assert_eq "$(ls "$MNT/acme")" k "ls acme"
echo '{"v":3}' >"$MNT/acme/k"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '{"v": 3}' "a write after the outage"
mkdir "$MNT/newt"
assert_eq "$(ls "$MNT")" $'acme\nlab\nnewt' "ls / after the outage"
umount_pinfs
