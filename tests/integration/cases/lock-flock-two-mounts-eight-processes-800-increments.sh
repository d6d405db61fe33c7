# flock(1) on a pin is honoured across mounts: 2 mounts of one PostgreSQL
# database, 4 processes on each, every process doing 100 times
# "flock PIN -c 'read, +1, write'" on one counter: exactly 800 at the end,
# seen alike through both mounts and in the table. While they ran, waits
# were counted (pinfs_lock_waits_total) and no lock stayed held after.
write_config
mount_pinfs
A=$MNT A_PID=$PINFS_PID A_LOG=$PINFS_LOG
mkdir "$A/acme"
echo 0 >"$A/acme/counter"
MNT=$CASE_DIR/mnt-b
mount_pinfs
B=$MNT B_PID=$PINFS_PID B_LOG=$PINFS_LOG

lk_counter_workers flock 100 "$A/acme/counter"{,,,} "$B/acme/counter"{,,,}
assert_eq "$(cat "$A/acme/counter")" 800 "the counter on mount A"
assert_eq "$(cat "$B/acme/counter")" 800 "the counter on mount B"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'counter'")" 800 "the row"

# Contended: some requests waited, on each mount; none is held any more.
for m in "$A" "$B"; do
    MNT=$m
    waits=$(rt_metric pinfs_lock_waits_total)
    ((waits > 0)) || fail "no lock waits counted on $m"
    assert_eq "$(rt_metric pinfs_locks_held)" 0 "locks held on $m"
    assert_eq "$(cat "$m/.system/locks")" "" "/.system/locks on $m"
done
assert_eq "$(pg_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" 0 \
    "advisory locks left in PostgreSQL"

MNT=$B PINFS_PID=$B_PID PINFS_LOG=$B_LOG
umount_pinfs
MNT=$A PINFS_PID=$A_PID PINFS_LOG=$A_LOG
umount_pinfs
