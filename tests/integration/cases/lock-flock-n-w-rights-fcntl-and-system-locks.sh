# How locks behave for their users (PostgreSQL, two mounts):
#   - flock -n on a pin locked elsewhere fails at once (exit 1; flock(2):
#     EWOULDBLOCK), shared locks share, flock -w 1 gives up after about a
#     second, and a waiter gets the lock as soon as the holder lets go;
#   - 12 waiters (more than FUSE has worker threads to spare) tie up no
#     worker: the mount answers everything else meanwhile;
#   - a uid without read right on the tenant gets EACCES (and the refusal
#     reaches rbac_audit); one with read only may lock;
#   - fcntl locks on the whole file (Python's fcntl.lockf) across mounts:
#     F_SETLK is EAGAIN, F_GETLK names the lock in the way, a close lets go,
#     a byte range is EINVAL; flock and fcntl locks do not meet (as on Linux);
#   - a tenant directory's flock is the kernel's, for this mount only
#     (FUSE passes on only files' locks);
#   - /.system/locks lists holder, pin, mode and since when to an admin of
#     the tenant, hides other tenants, is EACCES for others;
#   - pinfs_lock_conflicts_total and pinfs_lock_waits_total move.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
            {"uid": 20002, "roles": ["admin"], "tenants": ["beta"]},
            {"uid": 20003, "roles": ["dev"], "tenants": ["beta"]}]'
rb_config
mount_pinfs
A=$MNT A_PID=$PINFS_PID A_LOG=$PINFS_LOG
mkdir "$A/acme" "$A/beta"
echo 1 >"$A/acme/p"
echo 1 >"$A/beta/q"
MNT=$CASE_DIR/mnt-b
mount_pinfs
B=$MNT B_PID=$PINFS_PID B_LOG=$PINFS_LOG
holders=()
trap 'for h in "${holders[@]}"; do kill -9 "$h" 2>/dev/null || true; done' EXIT
MNT=$A
conflicts0=$(rt_metric pinfs_lock_conflicts_total)

step "-n, shared, -w"
lk_hold "$A/acme/p" flock-ex
holder=$LK_PID
holders+=("$holder")
rc=0
flock -n "$B/acme/p" true || rc=$?
assert_eq "$rc" 1 "flock -n through B"
assert_eq "$(probe flock "$B/acme/p" sh-nb)" EWOULDBLOCK "LOCK_SH|LOCK_NB through B"
assert_eq "$(probe flock "$A/acme/p" ex-nb)" EWOULDBLOCK "another open file on A"
rt_timed out flock -w 1 "$B/acme/p" true
((RT_MS >= 900 && RT_MS < 5000)) || fail "flock -w 1 took $RT_MS ms"
step "flock -w 1 gave up after $RT_MS ms"
flock "$B/acme/p" -c "echo got >'$CASE_DIR/waiter.out'" &
waiter=$!
sleep 0.3
lk_stop "$holder"
rt_wait_until 5 test -s "$CASE_DIR/waiter.out" || fail "the waiter did not get the lock"
wait "$waiter" || fail "the waiter failed"
lk_hold "$A/acme/p" flock-sh
holders+=("$LK_PID")
assert_eq "$(probe flock "$B/acme/p" sh-nb)" OK "a second shared lock"
assert_eq "$(probe flock "$B/acme/p" ex-nb)" EWOULDBLOCK "an exclusive one next to a shared one"
lk_stop "$LK_PID"

step "12 waiters tie up no worker"
lk_hold "$A/acme/p" flock-ex
holder=$LK_PID
holders+=("$holder")
waiters=()
for i in $(seq 12); do
    flock "$B/acme/p" true &
    waiters+=($!)
done
sleep 1
for i in $(seq 20); do
    echo "{\"i\":$i}" >"$B/acme/other"
    cat "$B/acme/other" >/dev/null
done
assert_eq "$(jq -c . "$B/acme/other")" '{"i":20}' "B serves writes and reads meanwhile"
assert_match "$(cat "$B/.system/locks")" '"waiting":true' "/.system/locks shows the waiters"
lk_stop "$holder"
for w in "${waiters[@]}"; do
    wait "$w" || fail "a waiter failed"
done

step "rights"
assert_eq "$(as_user 20001 probe flock "$B/beta/q" ex-nb)" open=EACCES "out of scope: no open at all"
lk_hold "$A/acme/p" flock-ex 20001
holder=$LK_PID
holders+=("$holder")
assert_eq "$(probe flock "$B/acme/p" ex-nb)" EWOULDBLOCK "dev (read only) holds a lock"
rt_wait_until 3 test "$(pg_sql "SELECT count(*) FROM system.rbac_audit WHERE uid = 20001 AND tenant_id = 'beta' AND decision = 'deny'")" -ge 1 ||
    fail "no rbac_audit row for the refusal"

step "/.system/locks"
line=$(grep '"tenant":"acme"' "$A/.system/locks")
assert_match "$line" '^\{"tenant":"acme","key":"p","kind":"flock","mode":"exclusive","waiting":false,"since":"[0-9T:.-]+Z","uid":20001,"pid":[0-9]+,"subject":"uid:20001"\}$' \
    "the holder, as root sees it"
lk_hold "$A/beta/q" flock-sh 20003
holders+=("$LK_PID")
assert_eq "$(as_user 20002 cat "$A/.system/locks" | jq -r '"\(.tenant)/\(.key) \(.mode) \(.subject)"')" \
    "beta/q shared uid:20003" "an admin of beta sees beta's locks only"
assert_eq "$(as_user 20001 probe open-r "$A/.system/locks")" EACCES "dev: not an admin"
assert_eq "$(cat "$B/.system/locks")" "" "B lists only the locks taken through B"
lk_stop "$holder"
lk_stop "$LK_PID"

step "fcntl locks"
out=$(/usr/bin/python3 - "$A/acme/p" "$B/acme/p" <<'PY'
import errno, fcntl, os, struct, sys
a, b = sys.argv[1:3]
fa = open(a, "r+")
fcntl.lockf(fa, fcntl.LOCK_EX)
fb = open(b, "r+")
try:
    fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("setlk ok")
except OSError as e:
    print("setlk", errno.errorcode[e.errno])
got = fcntl.fcntl(fb, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
print("getlk", {fcntl.F_WRLCK: "wr", fcntl.F_RDLCK: "rd", fcntl.F_UNLCK: "un"}[struct.unpack("hhqqi", got)[0]])
try:
    fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
    print("range ok")
except OSError as e:
    print("range", errno.errorcode[e.errno])
fcntl.flock(fb, fcntl.LOCK_EX | fcntl.LOCK_NB)   # flock and fcntl locks do not meet
print("flock ok")
fcntl.flock(fb, fcntl.LOCK_UN)
other = open(a)          # any close of the pin by the owner lets go (POSIX)
other.close()
fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("after close ok")
PY
)
assert_eq "$out" $'setlk EAGAIN\ngetlk wr\nrange EINVAL\nflock ok\nafter close ok' "fcntl locks across mounts"

step "a tenant directory: the kernel's own lock, on this mount only"
# FUSE hands the daemon the locks of files, not of directories.
/usr/bin/python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY); fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(60)' "$A/acme" "$CASE_DIR/dir.ready" &
dirholder=$!
holders+=("$dirholder")
rt_wait_until 5 test -e "$CASE_DIR/dir.ready" || fail "no lock on the directory"
rc=0
flock -n "$A/acme" true || rc=$?
assert_eq "$rc" 1 "flock -n on the tenant directory through A"
flock -n "$B/acme" true || fail "a directory's lock reached mount B"
lk_stop "$dirholder"

step "metrics"
conflicts=$(rt_metric pinfs_lock_conflicts_total)
((conflicts > conflicts0)) || fail "pinfs_lock_conflicts_total did not move"
MNT=$B
assert_match "$(grep '^pinfs_lock_waits_total{result="acquired"}' "$B/.system/metrics")" ' 1[3-9]$| [2-9][0-9]$' \
    "acquired waits on B"
assert_match "$(grep '^pinfs_lock_waits_total{result="interrupted"}' "$B/.system/metrics")" ' [1-9][0-9]*$' \
    "interrupted waits on B (flock -w)"
assert_eq "$(rt_metric pinfs_locks_held)" 0 "locks held on B at the end"
MNT=$B PINFS_PID=$B_PID PINFS_LOG=$B_LOG
umount_pinfs
MNT=$A PINFS_PID=$A_PID PINFS_LOG=$A_LOG
umount_pinfs
