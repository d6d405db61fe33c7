# No lock, but conditional commits retried on conflict lose no update:
# 2 mounts of one PostgreSQL database, 4 Python processes on each, every
# process doing 100 increments of one counter (open, user.pin.version,
# read, user.pin.expect_version, write, close; ESTALE: again): exactly 800.
# The same on an SQLite route (2 mounts of one file, 2 processes each, 100
# increments): exactly 400. Every refused commit is counted
# (pinfs_commit_conflicts_total) and audited (memory_pin.conflict).
db=$CASE_DIR/db/pins.db
rt_config saas "lab=$(rt_sqlite_uri "$db")" "*=$(rt_pg_uri)"
rt_migrate
mount_pinfs
A=$MNT A_PID=$PINFS_PID A_LOG=$PINFS_LOG
mkdir "$A/acme" "$A/lab"
echo 0 >"$A/acme/counter"
echo 0 >"$A/lab/counter"
MNT=$CASE_DIR/mnt-b
mount_pinfs
B=$MNT B_PID=$PINFS_PID B_LOG=$PINFS_LOG

# run_workers TENANT N_PER_MOUNT ROUNDS: prints the commits refused in all.
run_workers()
{
    local t=$1 n=$2 rounds=$3 m w pids=() refused=0 p out=$CASE_DIR/cas-$1
    mkdir -p -- "$out"
    for m in A B; do
        for ((w = 0; w < n; w++)); do
            lk_cas_worker "${!m}/$t/counter" "$rounds" >"$out/$m.$w" 2>&1 &
            pids+=($!)
        done
    done
    for p in "${pids[@]}"; do
        wait "$p" || fail "a $t worker failed: $(cat "$out"/*)"
    done
    for p in "$out"/*; do
        refused=$((refused + $(cat "$p")))
    done
    echo "$refused"
}

refused_pg=$(run_workers acme 4 100)
assert_eq "$(cat "$A/acme/counter")" 800 "PostgreSQL: the counter on mount A"
assert_eq "$(cat "$B/acme/counter")" 800 "PostgreSQL: the counter on mount B"
refused_sq=$(run_workers lab 2 100)
assert_eq "$(cat "$A/lab/counter")" 400 "SQLite: the counter on mount A"
assert_eq "$(rt_sqlite "$db" "SELECT value FROM memory_pins WHERE key = 'counter'")" 400 "SQLite: the row"
step "commits refused and retried: $refused_pg on PostgreSQL, $refused_sq on SQLite"
((refused_pg > 0)) || fail "8 writers at once were never refused: the test proves nothing"

# Each refusal: counted on the mount that refused it, audited on its backend.
MNT=$A
count_a=$(rt_metric pinfs_commit_conflicts_total)
MNT=$B
count_b=$(rt_metric pinfs_commit_conflicts_total)
assert_eq "$((count_a + count_b))" "$((refused_pg + refused_sq))" "pinfs_commit_conflicts_total on both mounts"
rt_wait_until 5 test "$(pg_sql "SELECT count(*) FROM system.memory_audit WHERE error_code = 'memory_pin.conflict'")" = "$refused_pg" ||
    fail "conflicts audited in PostgreSQL: $(pg_sql "SELECT count(*) FROM system.memory_audit WHERE error_code = 'memory_pin.conflict'"), refused $refused_pg"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_audit WHERE error_code = 'memory_pin.conflict' AND (version IS NULL OR success)")" 0 \
    "every conflict row names the version expected"
allow_stderr 'pinfs: notice: memory_pin\.conflict: .*'
allow_stderr 'pinfs: notice: .* more memory_pin\.conflict .*'
MNT=$B PINFS_PID=$B_PID PINFS_LOG=$B_LOG
umount_pinfs
MNT=$A PINFS_PID=$A_PID PINFS_LOG=$A_LOG
umount_pinfs
