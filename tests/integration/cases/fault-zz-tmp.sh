ft_trap
ft_config '{"log_level": "debug", "pool": {"size": 2, "wait_ms": 1000, "statement_timeout_ms": 2000, "connect_timeout_s": 2}}'
mount_pinfs
mkdir "$MNT/acme"
echo '{"v": "a"}' >"$MNT/acme/a"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value)
        SELECT 'acme', 's' || g, jsonb_build_object('s', g) FROM generate_series(0, 30) g"
"$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "$CASE_DB" \
    -c "BEGIN; LOCK TABLE system.memory_pins IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
ft_bg "$locker"
sleep 1
echo "=== single open-r" >>"$PINFS_LOG"
t0=$(date +%s%3N); out=$("$PROBE" open-r "$MNT/acme/s1"); echo "single open-r: $out $(( $(date +%s%3N) - t0 )) ms" >&2
echo "=== single stat" >>"$PINFS_LOG"
t0=$(date +%s%3N); out=$("$PROBE" stat "$MNT/acme/s2"); echo "single stat: $out $(( $(date +%s%3N) - t0 )) ms" >&2
echo "=== single write" >>"$PINFS_LOG"
t0=$(date +%s%3N); out=$("$PROBE" write-trunc "$MNT/acme/new1" '{"a":1}'); echo "single write: $out $(( $(date +%s%3N) - t0 )) ms" >&2
echo "=== strace open-r" >>"$PINFS_LOG"
strace -f -tt -e trace=openat,newfstatat,statx "$PROBE" open-r "$MNT/acme/s3" 2>&1 | tail -5 >&2
echo "=== 2 concurrent" >>"$PINFS_LOG"
for i in 4 5; do ( t0=$(date +%s%3N); out=$("$PROBE" open-r "$MNT/acme/s$i"); echo "conc open-r s$i: $out $(( $(date +%s%3N) - t0 )) ms" >&2 ) & done; wait
echo "=== 3 concurrent" >>"$PINFS_LOG"
for i in 6 7 8; do ( t0=$(date +%s%3N); out=$("$PROBE" open-r "$MNT/acme/s$i"); echo "conc open-r s$i: $out $(( $(date +%s%3N) - t0 )) ms" >&2 ) & done; wait
fail "show"
