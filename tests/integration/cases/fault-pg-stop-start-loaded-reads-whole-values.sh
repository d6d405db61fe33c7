# Issue 17: on a loaded machine, through a PostgreSQL stop and start, a
# read returns one whole committed value or an errno (EIO while the
# backend is away), never zero bytes nor part of a value.
#
# The machine is loaded on purpose: the daemon and the load run on one CPU
# (taskset) that two busy loops at nice 10 share with them, so their
# threads are preempted at every point (the race hid on an idle machine).
# 6 writers (tests/integration/fault/load.py, all root) write their own
# keys and 5 shared keys with open(O_WRONLY|O_CREAT|O_TRUNC)/write/close,
# and after every write read a shared key and parse it; 4 readers read the
# writers' keys, including keys being created right then. PostgreSQL is
# stopped ("pg_ctl stop -m fast") 4 s into the 14 s load and started 2 s
# later. The daemon runs with -d: for every bad read the case prints the
# FUSE requests of that read and of the writers on that node.
#   - no read was empty, torn or wrong, no acknowledged key vanished, every
#     failed read or write failed with EIO, nothing took over 10 s;
#   - reads failed with EIO during the outage, shared keys were read whole
#     before and after it, and every writer got acknowledged writes again
#     after PostgreSQL was back;
#   - the database and the mount hold every acknowledged write, and each
#     shared key holds a value some writer wrote to it.
# The busy loops are stopped by pid when the load ends (and by ft_cleanup).
ft_trap
ft_config '{"pool": {"size": 4, "wait_ms": 2000, "connect_timeout_s": 2, "statement_timeout_ms": 5000}}'
mount_pinfs -d
pid=$PINFS_PID
mkdir "$MNT/ft"
cpu=$(($(nproc) - 1))
taskset -a -p -c "$cpu" "$pid" >/dev/null # later threads inherit it
ft_busy 2 10 "$cpu"

step "load on CPU $cpu with 2 busy loops: 6 writers with 5 shared keys, 4 readers, 14 s"
t_load=$(ft_now)
(exec taskset -c "$cpu" "$FT_PY" "$FT_LOAD" run --mnt "$MNT" --tenant ft --state "$CASE_DIR/load.json" \
    --writers 6 --readers 4 --shared 5 --duration 14 --pad 1500 --allow EIO >"$CASE_DIR/load.out" 2>&1) &
load_pid=$!
ft_bg "$load_pid"
sleep 4
step "pg_ctl stop -m fast, $(ft_ms_since "$t_load") ms into the load"
ft_pg_stop
sleep 2
step "pg_ctl start, $(ft_ms_since "$t_load") ms into the load"
ft_pg_start
t_back=$(ft_now)
pid_running "$load_pid" || fail "the load ended before PostgreSQL was back"

rc=0
wait "$load_pid" || rc=$?
ft_busy_stop
cat -- "$CASE_DIR/load.out" >&2
((rc == 0)) || fail "load.py exited with status $rc (3: a worker hung)"
if [[ "$(ft_field "$CASE_DIR/load.out" '.empty + .torn + .wrong + .vanished')" != 0 ]]; then
    step "the FUSE requests of every bad read"
    ft_load trace --state "$CASE_DIR/load.json" --log "$PINFS_LOG" >&2 || true
fi

step "the load's counts"
ft_assert_zero "$CASE_DIR/load.out" empty torn wrong vanished failed_other slow_ops hung_workers
(($(grep -c '^problem:' "$CASE_DIR/load.out" || true) == 0)) || fail "load.py reported problems (above)"
ft_assert_only_eio_reads "$CASE_DIR/load.out"
(($(ft_field "$CASE_DIR/load.out" '.detail.read_error_EIO // 0') >= 1)) || fail "no read failed with EIO: the outage missed the reads"
(($(ft_field "$CASE_DIR/load.out" .acknowledged) >= 200)) || fail "too few acknowledged writes: the load did not run"
(($(ft_field "$CASE_DIR/load.out" '.detail.reads_ok_shared // 0') >= 100)) || fail "too few whole reads of shared keys"

step "the database and the mount hold every acknowledged write"
ft_check_harness_db "$t_back"
assert_eq "$(ft_field "$CASE_DIR/check.out" '[.acks_after[] | select(. == 0)] | length')" 0 \
    "writers without an acknowledged write after PostgreSQL was back"
assert_eq "$PINFS_PID" "$pid" "the same daemon (no remount)"

ft_report "counts: $(ft_field "$CASE_DIR/load.out" '"writes acknowledged=\(.acknowledged) failed_eio=\(.failed_eio) reads_ok=\(.reads_ok) shared_reads_ok=\(.detail.reads_ok_shared // 0) reads_enoent=\(.reads_enoent) read_errors=\(.read_errors) empty=\(.empty) torn=\(.torn) wrong=\(.wrong) vanished=\(.vanished)"') $(ft_field "$CASE_DIR/check.out" '"lost=\(.lost) mismatched=\(.mismatched) shared_bad=\(.shared_bad) first_ack_after_restart_ms=\(.first_ack_after_ms)"')"
umount_pinfs
