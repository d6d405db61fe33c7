# user.pin.expect_version makes a commit conditional, and a conflict is
# ESTALE for every tool, keeps the newer value, and is audited and counted:
#   - Python writing in place (fsetxattr on its descriptor): close() and
#     os.fsync() raise OSError ESTALE; a retry at the version it reads again
#     succeeds through the same descriptor;
#   - Python's tempfile + os.replace, and mktemp DIR/.NAME.XXXXXX +
#     setfattr + mv in the shell (the expectation staged on the temporary): the rename fails
#     ("Stale file handle"), the temporary stays for a retry;
#   - "only if absent" (0): a new file, and a temporary renamed onto a key
#     that exists meanwhile, are refused;
#   - one audit row with memory_pin.conflict and the version expected per
#     refusal (the kernel's retry of a refused rename is not a second one);
#   - bad values (not a number, too long) are EINVAL/ERANGE, a committed
#     pin no descriptor of the caller has open for writing is EINVAL, and a
#     caller without write right gets EACCES; nothing changes.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
pin=$MNT/acme/cfg
echo '{"n":1}' >"$pin"
version() { getfattr --absolute-names --only-values -n user.pin.version "$1"; }
conflicts() { pg_sql "SELECT count(*) FROM system.memory_audit WHERE error_code = 'memory_pin.conflict'"; }

step "Python in place"
out=$(/usr/bin/python3 - "$pin" <<'PY'
import errno, os, sys
p = sys.argv[1]
fd = os.open(p, os.O_RDWR)
v = os.getxattr(fd, "user.pin.version")
os.setxattr(fd, "user.pin.expect_version", v)
with open(p, "w") as other:            # someone else commits meanwhile
    other.write('{"n": 99}')
os.ftruncate(fd, 0)
os.pwrite(fd, b'{"n": 2}', 0)
for call in (lambda: os.fsync(fd), lambda: os.close(fd)):
    try:
        call()
        print("ok")
    except OSError as e:
        print(errno.errorcode[e.errno])
# A retry at the version it reads again, through a new descriptor.
fd = os.open(p, os.O_RDWR)
os.setxattr(fd, "user.pin.expect_version", os.getxattr(fd, "user.pin.version"))
os.ftruncate(fd, 0)
os.pwrite(fd, b'{"n": 100}', 0)
os.fsync(fd)
os.pwrite(fd, b'{"n": 101}', 0)    # the next commit expects the version the first made
os.close(fd)
print("retried")
PY
)
assert_eq "$out" $'ESTALE\nESTALE\nretried' "fsync, close, then the retry"
assert_eq "$(jq -c . "$pin")" '{"n":101}' "the retry's value"
rt_wait_until 5 test "$(conflicts)" = 2 || fail "audited conflicts: $(conflicts), want 2"

step "Python tempfile + os.replace"
v=$(version "$pin")
out=$(/usr/bin/python3 - "$pin" "$v" <<'PY'
import errno, os, sys, tempfile
p, v = sys.argv[1], sys.argv[2]
with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(p), delete=False) as t:
    t.write('{"n": 3}')
os.setxattr(t.name, "user.pin.expect_version", v.encode())
with open(p, "w") as other:
    other.write('{"n": 200}')
try:
    os.replace(t.name, p)
    print("replaced")
except OSError as e:
    print(errno.errorcode[e.errno], os.path.exists(t.name))
os.setxattr(t.name, "user.pin.expect_version", os.getxattr(p, "user.pin.version"))
os.replace(t.name, p)
print("replaced")
PY
)
assert_eq "$out" $'ESTALE True\nreplaced' "os.replace refused, then done"
assert_eq "$(jq -c . "$pin")" '{"n":3}' "the retried replace's value"
rt_wait_until 5 test "$(conflicts)" = 3 || fail "audited conflicts: $(conflicts), want 3 (one per refused rename)"

step "mktemp + setfattr + mv"
v=$(version "$pin")
# A name the mount keeps private to its creator until the rename (rsync's form).
tmp=$(mktemp "$MNT/acme/.cfg.XXXXXX")
echo '{"n":4}' >"$tmp"
setfattr -n user.pin.expect_version -v "$v" "$tmp"
echo '{"n":300}' >"$pin"
out=$(LC_ALL=C mv "$tmp" "$pin" 2>&1) && fail "mv succeeded: $out"
assert_match "$out" 'Stale file handle' "mv's message"
assert_eq "$(jq -c . "$pin")" '{"n":300}' "the newer value stays"
setfattr -n user.pin.expect_version -v "$(version "$pin")" "$tmp"
mv "$tmp" "$pin"
assert_eq "$(jq -c . "$pin")" '{"n":4}' "mv at the version read"
assert_eq "$(ls "$MNT/acme")" cfg "no temporary left"

step "only if absent"
# The creator stages its value and waits (no fork: a child's exec would
# close its copy of the descriptor, a flush that commits); meanwhile the key
# is written through the other way, then the creator closes.
cat >"$CASE_DIR/creator.py" <<'PY'
import errno, os, sys
p = sys.argv[1]
fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
os.setxattr(fd, "user.pin.expect_version", b"0")
os.write(fd, b'"mine"')
print("staged")
sys.stdin.readline()
try:
    os.close(fd)
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
coproc CREATOR { /usr/bin/python3 -u "$CASE_DIR/creator.py" "$MNT/acme/new"; }
# bash unsets CREATOR_PID and closes CREATOR's descriptors once it reaps the
# coprocess, which can be before the last read: keep the pid and dups.
creator_pid=$CREATOR_PID
exec {creator_out}<&"${CREATOR[0]}" {creator_in}>&"${CREATOR[1]}"
read -r line <&"$creator_out"
assert_eq "$line" staged "the creator staged its value"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('acme', 'new', '\"theirs\"')"
echo go >&"$creator_in"
read -r out <&"$creator_out"
wait "$creator_pid" || true
exec {creator_out}<&- {creator_in}>&-
assert_eq "$out" ESTALE "a creation that found the key taken"
assert_eq "$(jq -c . "$MNT/acme/new")" '"theirs"' "the other writer's value stays"
assert_eq "$(probe setxattr "$MNT/acme/new" user.pin.expect_version 0)" EINVAL \
    "an existing pin no descriptor of the caller writes"

step "bad values, no right"
fd_cmd() { /usr/bin/python3 -c 'import os,sys,errno
fd=os.open(sys.argv[1], os.O_RDWR)
try: os.setxattr(fd, "user.pin.expect_version", sys.argv[2].encode()); print("OK")
except OSError as e: print(errno.errorcode[e.errno])
os.close(fd)' "$@"; }
assert_eq "$(fd_cmd "$pin" abc)" EINVAL "not a number"
assert_eq "$(fd_cmd "$pin" -1)" EINVAL "negative"
assert_eq "$(fd_cmd "$pin" 1234567890123456789012)" ERANGE "too long"
assert_eq "$(probe getxattr "$pin" user.pin.expect_version)" ENODATA "never read back"
assert_eq "$(getfattr --absolute-names -d -m - "$pin" | grep -c expect_version)" 0 "never listed"
assert_eq "$(as_user 20001 probe setxattr "$pin" user.pin.expect_version 1)" EACCES "dev: read only"
assert_eq "$(jq -c . "$pin")" '{"n":4}' "nothing changed"

step "metrics and audit rows"
rt_wait_until 5 test "$(conflicts)" = 5 || fail "audited conflicts: $(conflicts), want 5"
assert_eq "$(rt_metric pinfs_commit_conflicts_total)" 5 "pinfs_commit_conflicts_total"
# The version expected; none (NULL) for "only if absent".
assert_eq "$(pg_sql "SELECT key, version IS NULL FROM system.memory_audit
                     WHERE error_code = 'memory_pin.conflict' AND operation = 'upsert' AND NOT success
                     ORDER BY id" | tr '\n' ' ')" "cfg|f cfg|f cfg|f cfg|f new|t " "conflict rows"
assert_match "$(grep -c '"error_code":"memory_pin.conflict"' "$MNT/.system/audit")" '^5$' "/.system/audit"
allow_stderr 'pinfs: notice: memory_pin\.conflict: .*'
umount_pinfs
