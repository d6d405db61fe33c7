# A private primary/standby pair in the case dir: p1 (primary) and p2 (a
# streaming standby made by pg_basebackup -R over p1's socket; synchronous,
# so every commit p1 acknowledged is on p2 too, and a failover may lose
# nothing). The mount's route is one libpq multi-host URI over both sockets
# with target_session_attrs=read-write. 6 writers and 6 readers run for
# 22 s; 5 s in, p1 is stopped (fast), and 1 s later p2 is promoted.
#   - The same daemon carries on without a remount: every writer gets
#     acknowledged writes again, the first within 15 s of the promotion.
#   - Every write acknowledged before or after the failover is on the new
#     primary with exactly its value (lost = 0), and the mount reads it.
#   - Reads are never torn nor empty; failures are EIO only; nothing hangs.
ft_trap
step "primary p1 and synchronous standby p2"
ft_cluster_init p1 5433
ft_cluster_sql p1 5433 postgres "CREATE DATABASE pins"
ft_cluster_standby p2 5434 p1 5433
# Synchronous from now on (set on p1 after the base backup, so p2 does not
# inherit it: once promoted, p2 commits on its own).
ft_cluster_sql p1 5433 postgres "ALTER SYSTEM SET synchronous_standby_names = '*'"
ft_cluster_sql p1 5433 postgres "SELECT pg_reload_conf()" >/dev/null
p1=$(ft_cluster_dir p1)/sock
p2=$(ft_cluster_dir p2)/sock
streaming()
{
    [[ "$(ft_cluster_sql p1 5433 postgres "SELECT state || '/' || sync_state FROM pg_stat_replication")" == streaming/sync ]]
}
rt_wait_until 20 streaming || fail "p2 is not a synchronous streaming standby of p1: $(ft_cluster_sql p1 5433 postgres \
    "SELECT state, sync_state FROM pg_stat_replication")"
assert_eq "$(ft_cluster_sql p2 5434 postgres "SELECT pg_is_in_recovery()")" t "p2 is a standby"

uri="postgresql:///pins?host=$p1,$p2&port=5433,5434&target_session_attrs=read-write"
ft_config '{"pool": {"size": 4, "wait_ms": 2000, "connect_timeout_s": 2, "statement_timeout_ms": 5000}}' "$uri"
"$PINCTL" --config "$CONFIG" migrate up >"$CASE_DIR/migrate.log" 2>&1 || {
    cat -- "$CASE_DIR/migrate.log" >&2
    fail "pinctl migrate up through the multi-host URI failed"
}
mount_pinfs
pid=$PINFS_PID
mkdir "$MNT/ft"

step "load: 6 writers, 6 readers, 22 s"
ft_load_bg "$CASE_DIR/load.out" run --mnt "$MNT" --tenant ft --state "$CASE_DIR/load.json" --writers 6 --readers 6 \
    --duration 22 --pad 1500 --allow EIO
load_pid=$FT_LOAD_PID
sleep 5
pid_running "$load_pid" || fail "the load ended early: $(cat -- "$CASE_DIR/load.out")"
step "stop the primary p1 (fast)"
t_stop=$(ft_now)
ft_cluster_stop p1 fast
sleep 1
step "promote p2 ($(ft_ms_since "$t_stop") ms after p1 was stopped)"
ft_cluster_promote p2
t_promoted=$(ft_now)
assert_eq "$(ft_cluster_sql p2 5434 postgres "SELECT pg_is_in_recovery()")" f "p2 after promotion"
pid_running "$load_pid" || fail "the load ended before the promotion"

rc=0
wait "$load_pid" || rc=$?
cat -- "$CASE_DIR/load.out" >&2
((rc == 0)) || fail "load.py exited with status $rc (3: a worker hung)"
ft_assert_zero "$CASE_DIR/load.out" empty torn wrong vanished failed_other slow_ops hung_workers
(($(grep -c '^problem:' "$CASE_DIR/load.out" || true) == 0)) || fail "load.py reported problems (above)"
ft_assert_only_eio_reads "$CASE_DIR/load.out"

step "the new primary p2 holds every acknowledged write; writes resumed on the same mount"
rc=0
ft_load check --state "$CASE_DIR/load.json" --psql "$PIT_PG_BIN/psql" --host "$p2" --port 5434 --db pins \
    --mnt "$MNT" --resume-after "$t_promoted" >"$CASE_DIR/check.out" 2>&1 || rc=$?
cat -- "$CASE_DIR/check.out" >&2
((rc == 0)) || fail "check found lost, mismatched or phantom rows on p2 (above)"
ft_assert_zero "$CASE_DIR/check.out" lost mismatched phantom cur_bad mount_lost mount_mismatched
first=$(ft_field "$CASE_DIR/check.out" .first_ack_after_ms)
[[ "$first" != null ]] || fail "no write was acknowledged after the promotion"
((first <= 15000)) || fail "the first acknowledged write came $first ms after the promotion (bound 15 s)"
assert_eq "$(ft_field "$CASE_DIR/check.out" '[.acks_after[] | select(. == 0)] | length')" 0 \
    "writers without an acknowledged write after the promotion"
assert_eq "$PINFS_PID" "$pid" "the same daemon (no remount)"
is_mounted "$MNT" || fail "the mount is gone"
echo '{"after": "failover"}' >"$MNT/ft/after"
assert_eq "$(ft_cluster_sql p2 5434 pins "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'ft' AND key = 'after'")" \
    '{"after": "failover"}' "a write after the run, on p2"

ft_report "counts: first_ack_after_promotion_ms=$first $(ft_field "$CASE_DIR/load.out" '"writes acknowledged=\(.acknowledged) failed_eio=\(.failed_eio) failed_other=\(.failed_other) reads_ok=\(.reads_ok) read_errors=\(.read_errors) torn=\(.torn) wrong=\(.wrong) vanished=\(.vanished)"') $(ft_field "$CASE_DIR/check.out" '"lost=\(.lost) mismatched=\(.mismatched) uncertain_committed=\(.uncertain_committed) uncertain_absent=\(.uncertain_absent) phantom=\(.phantom) acks_after_promotion=\(.acks_after | add)"')"
umount_pinfs
ft_cluster_stop p2 fast
