# flock(1) on a pin of an SQLite route is honoured by every process of the
# host, through any daemon mounting that file: 2 mounts of one SQLite file,
# 2 processes on each, every process doing 100 times
# "flock PIN -c 'read, +1, write'" on one counter: exactly 400. The locks
# live in a private file next to the database (mode 0600).
db=$CASE_DIR/db/pins.db
rt_config lab "*=$(rt_sqlite_uri "$db")"
rt_migrate
mount_pinfs
A=$MNT A_PID=$PINFS_PID A_LOG=$PINFS_LOG
mkdir "$A/lab"
echo 0 >"$A/lab/counter"
MNT=$CASE_DIR/mnt-b
mount_pinfs
B=$MNT B_PID=$PINFS_PID B_LOG=$PINFS_LOG

lk_counter_workers flock 100 "$A/lab/counter"{,} "$B/lab/counter"{,}
assert_eq "$(cat "$A/lab/counter")" 400 "the counter on mount A"
assert_eq "$(cat "$B/lab/counter")" 400 "the counter on mount B"
assert_eq "$(rt_sqlite "$db" "SELECT value FROM memory_pins WHERE key = 'counter'")" 400 "the row"
assert_eq "$(stat -c '%a %s' "$db-pinlocks")" "600 0" "the lock file: private, empty"

# A lock taken through one mount is seen through the other at once.
lk_hold "$A/lab/counter" flock-ex
assert_match "$(cat "$A/.system/locks")" '"key":"counter","kind":"flock","mode":"exclusive"' \
    "/.system/locks on mount A"
assert_eq "$(probe flock "$B/lab/counter" ex-nb)" EWOULDBLOCK "mount B while mount A holds it"
assert_eq "$(probe flock "$A/lab/counter" sh-nb)" EWOULDBLOCK "mount A, another open file"
lk_stop "$LK_PID"
# The kernel lets go of a dead process's files (RELEASE) just after it died.
rt_wait_until 5 lk_free "$B/lab/counter" || fail "the lock outlived its holder"

MNT=$B PINFS_PID=$B_PID PINFS_LOG=$B_LOG
umount_pinfs
MNT=$A PINFS_PID=$A_PID PINFS_LOG=$A_LOG
umount_pinfs
