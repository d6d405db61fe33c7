# Issue 15, fewer requests: a plain read-only open of a pin asks for no
# FLUSH (noflush), so `cat` costs one round trip less, while a writer's
# close still flushes (it commits there). A FLUSH is also where a close lets
# go of the process's fcntl locks, so:
#   - a lock taken through a read-only descriptor still goes when that
#     descriptor is closed (at its release), not when the process exits;
#   - while anyone holds an fcntl lock on the pin, a reader's close sends its
#     FLUSH, so "any close of the file lets go" (POSIX) holds: covered with
#     the real tools in lock-flock-n-w-rights-fcntl-and-system-locks.
# pinfs_fuse_requests_total counts what the kernel asked for.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
pin=$MNT/acme/p
echo '{"n": 1}' >"$pin"

snap() { cp "$MNT/.system/metrics" "$CASE_DIR/m.$1"; }
count() {
    local v
    v=$(rb_metric "pinfs_fuse_requests_total{op=\"$2\"}" "$CASE_DIR/m.$1")
    echo "${v/absent/0}"
}
# delta A B OP: requests OP between snapshots A and B, less what copying
# the metrics file itself costs (measured between snapshots base0, base1).
delta() { echo $(( $(count "$2" "$3") - $(count "$1" "$3") - ($(count base1 "$3") - $(count base0 "$3")) )); }

snap base0
snap base1
cat "$pin" >/dev/null
snap c0
assert_eq "$(cat "$pin")" $'{\n  "n": 1\n}' "cat reads the pin"
snap c1
assert_eq "$(delta c0 c1 flush)" 0 "cat: no FLUSH"
assert_eq "$(delta c0 c1 release)" 1 "cat: one RELEASE"
assert_eq "$(delta c0 c1 read)" 2 "cat: two READs (the value, then EOF)"
echo '{"n": 2}' >"$pin"
snap w1
# bash closes the descriptor twice (after dup2, then the copy): two FLUSHes.
assert_eq "$(delta c1 w1 flush)" 2 "echo >: the writer's closes flush (the last commits)"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'p'")" '{"n": 2}' "committed at close"

step "an fcntl lock taken through a read-only descriptor goes at its close"
cat >"$CASE_DIR/holder.py" <<'PY'
import fcntl, sys, time
f = open(sys.argv[1])                     # read-only: no FLUSH at its close
fcntl.lockf(f, fcntl.LOCK_SH)
print("locked", flush=True)
sys.stdin.readline()
f.close()
print("closed", flush=True)
sys.stdin.readline()                      # alive: the lock must go with the close, not the exit
PY
cat >"$CASE_DIR/try.py" <<'PY'
import errno, fcntl, sys, time
f = open(sys.argv[1], "r+")
end = time.time() + float(sys.argv[2])
while True:
    try:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("ok")
        break
    except OSError as e:
        if time.time() >= end:
            print(errno.errorcode[e.errno])
            break
        time.sleep(0.02)
PY
coproc HOLDER { /usr/bin/python3 -u "$CASE_DIR/holder.py" "$pin"; }
holder_pid=$HOLDER_PID
exec {h_out}<&"${HOLDER[0]}" {h_in}>&"${HOLDER[1]}"
read -r line <&"$h_out"
assert_eq "$line" locked "the holder took a shared lock through a read-only descriptor"
assert_eq "$(/usr/bin/python3 "$CASE_DIR/try.py" "$pin" 0)" EAGAIN "an exclusive lock is refused while it is held"
echo close >&"$h_in"
read -r line <&"$h_out"
assert_eq "$line" closed "the holder closed its descriptor and lives on"
assert_eq "$(/usr/bin/python3 "$CASE_DIR/try.py" "$pin" 2)" ok "the lock went with the close"
echo exit >&"$h_in"
wait "$holder_pid" || true
exec {h_out}<&- {h_in}>&-

step "while a lock is held, readers flush"
cat >"$CASE_DIR/hold-ex.py" <<'PY'
import fcntl, sys
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
PY
coproc EX { /usr/bin/python3 -u "$CASE_DIR/hold-ex.py" "$pin"; }
ex_pid=$EX_PID
exec {e_out}<&"${EX[0]}" {e_in}>&"${EX[1]}"
read -r line <&"$e_out"
assert_eq "$line" locked "another process holds an exclusive fcntl lock"
snap l0
cat "$pin" >/dev/null
snap l1
assert_eq "$(delta l0 l1 flush)" 1 "a reader's close sends its FLUSH while a lock is held"
echo exit >&"$e_in"
wait "$ex_pid" || true
exec {e_out}<&- {e_in}>&-
umount_pinfs
