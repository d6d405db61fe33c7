# 6 writers and 6 readers (tests/integration/fault/load.py) run for 16 s on
# one mount while PostgreSQL is restarted ("pg_ctl restart -m fast", same
# socket dir and port) about 5 s in. Afterwards:
#   - every write whose close() succeeded is in the database with exactly
#     its value (lost = 0, mismatched = 0), and so is the mount's view;
#   - a write that failed may have committed or not, but never left another
#     value; no row appears that nobody wrote (phantom = 0);
#   - every successful read was one complete JSON document that a writer
#     wrote to that key (torn = 0, wrong = 0, and never zero bytes: empty =
#     0, also for a key another writer was creating right then, which is
#     ENOENT until it is committed), and no acknowledged key ever read as
#     missing (vanished = 0);
#   - every failure was EIO (failed_other = 0, no other read errno), and no
#     operation took longer than 10 s (slow_ops = 0) or hung;
#   - the same daemon serves on: every writer gets acknowledged writes again
#     within 10 s of the restart (the reconnect backoff is capped at 5 s).
ft_trap
ft_config '{"pool": {"size": 4, "wait_ms": 2000, "connect_timeout_s": 2, "statement_timeout_ms": 5000}}'
mount_pinfs
pid=$PINFS_PID
mkdir "$MNT/ft"

step "load: 6 writers, 6 readers, 16 s"
t_load=$(ft_now)
ft_load_bg "$CASE_DIR/load.out" run --mnt "$MNT" --tenant ft --state "$CASE_DIR/load.json" --writers 6 --readers 6 \
    --duration 16 --pad 1500 --allow EIO
load_pid=$FT_LOAD_PID
sleep 5
old_pm=$(ft_postmaster_pid)
step "pg_ctl restart -m fast (postmaster $old_pm), $(ft_ms_since "$t_load") ms into the load"
t_restart=$(ft_now)
ft_pg_restart
t_back=$(ft_now)
new_pm=$(ft_postmaster_pid)
step "PostgreSQL is back (postmaster $new_pm) after $(ft_ms_since "$t_restart") ms"
[[ "$new_pm" != "$old_pm" ]] || fail "the postmaster pid did not change: no restart happened"
pid_running "$load_pid" || fail "the load ended before PostgreSQL was back: the restart was not under load"

rc=0
wait "$load_pid" || rc=$?
cat -- "$CASE_DIR/load.out" >&2
((rc == 0)) || fail "load.py exited with status $rc (3: a worker hung)"

step "the load's counts"
ft_assert_zero "$CASE_DIR/load.out" empty torn wrong vanished failed_other slow_ops hung_workers
(($(grep -c '^problem:' "$CASE_DIR/load.out" || true) == 0)) || fail "load.py reported problems (above)"
ft_assert_only_eio_reads "$CASE_DIR/load.out"
acked=$(ft_field "$CASE_DIR/load.out" .acknowledged)
((acked >= 200)) || fail "only $acked writes were acknowledged: the load did not run"
(($(ft_field "$CASE_DIR/load.out" .reads_ok) >= 200)) || fail "too few successful reads"

step "the database and the mount hold every acknowledged write"
ft_check_harness_db "$t_back"
first=$(ft_field "$CASE_DIR/check.out" .first_ack_after_ms)
[[ "$first" != null ]] || fail "no write was acknowledged after PostgreSQL came back"
((first <= 10000)) || fail "the first acknowledged write came $first ms after PostgreSQL was back (bound 10 s)"
assert_eq "$(ft_field "$CASE_DIR/check.out" '[.acks_after[] | select(. == 0)] | length')" 0 \
    "writers without an acknowledged write after the restart"
assert_eq "$PINFS_PID" "$pid" "the same daemon (no remount)"
is_mounted "$MNT" || fail "the mount is gone"

ft_report "counts: $(ft_field "$CASE_DIR/load.out" '"writes acknowledged=\(.acknowledged) failed_eio=\(.failed_eio) failed_other=\(.failed_other) reads_ok=\(.reads_ok) read_errors=\(.read_errors) torn=\(.torn) wrong=\(.wrong) vanished=\(.vanished)"') $(ft_field "$CASE_DIR/check.out" '"lost=\(.lost) mismatched=\(.mismatched) uncertain_committed=\(.uncertain_committed) uncertain_absent=\(.uncertain_absent) phantom=\(.phantom) first_ack_after_restart_ms=\(.first_ack_after_ms)"')"
umount_pinfs
