ft_trap
ft_config '{"pool": {"size": 2, "wait_ms": 1000, "statement_timeout_ms": 2000, "connect_timeout_s": 2}}'
mount_pinfs
for t in acme t1 t2 t3 t4 t5 t6; do mkdir "$MNT/$t"; done
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value)
        SELECT 'acme', 's' || g, jsonb_build_object('s', g) FROM generate_series(0, 30) g"
sleep 0.5
stat "$MNT/acme" >/dev/null; for t in t1 t2 t3 t4 t5 t6; do stat "$MNT/$t" >/dev/null; done
"$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "$CASE_DB" \
    -c "BEGIN; LOCK TABLE system.memory_pins IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(40); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
ft_bg "$locker"
sleep 1
conc() {
  local pids=() T0=$(date +%s%3N)
  for i in 1 2 3 4 5 6; do ( t0=$(date +%s%3N); out=$($PROBE $i) || out="rc $?"; echo "  $i: $out took $(( $(date +%s%3N) - t0 )) ms" >&2 ) & pids+=($!); done
  wait "${pids[@]}"
}
p_open_acme() { "$PROBE" open-r "$MNT/acme/s$(($1+10))"; }
p_write_acme() { "$PROBE" write-trunc "$MNT/acme/n$1" '{"a":1}'; }
p_stat_acme() { "$PROBE" stat "$MNT/acme/missing$1"; }
p_stat_tenants() { "$PROBE" stat "$MNT/t$1/missing"; }
p_open_twice() { "$PROBE" open-r "$MNT/acme/s$(($1+20))"; }
echo "warm acme, 6 opens of never-seen keys" >&2; PROBE=p_open_acme; conc x
echo "acme again (after failures), 6 stats" >&2; PROBE=p_stat_acme; conc x
echo "6 tenants, stat missing key each" >&2; PROBE=p_stat_tenants; conc x
echo "acme 6 creates" >&2; PROBE=p_write_acme; conc x
fail show
