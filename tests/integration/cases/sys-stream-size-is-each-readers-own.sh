# A stream's size is its reader's own, whatever other readers do at the
# same moment: the kernel keeps one size per node and trusts it until the
# next jiffy even with a zero attribute timeout, so each reader needs a node
# of its own. Two loops, root (every tenant) and an admin of acme alone
# (fewer events, a smaller file), each open /.system/audit and check that
# fstat, lseek(SEEK_END) and the bytes read to EOF agree, 1500 times, at the
# same time. With one node for both, one reader's fstat took the other's
# size within the same few milliseconds, and tail -n0 -f started at the
# wrong place (it printed an old event, or missed new ones). The first
# fstat after a fresh lookup is checked too: a lookup answers the size the
# caller's open will find, not 0. stat by name gives a reader that size,
# and a uid that may not read the audit 0.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20003, "roles": ["admin"], "tenants": ["acme"]},
            {"uid": 20004, "roles": ["machine"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
for i in 1 2 3; do
    echo "{\"a\":$i}" >"$MNT/acme/a$i"
    echo "{\"b\":$i}" >"$MNT/beta/b$i"
done

# Prints "LOOKUP-SIZE-OK" when the first open's fstat (right after the
# lookup) agrees with what it reads, then the mismatches of N rounds.
cat >"$CASE_DIR/loop.py" <<'EOF'
import os, sys
path, rounds = sys.argv[1], int(sys.argv[2])

def one():
    fd = os.open(path, os.O_RDONLY)
    try:
        st = os.fstat(fd).st_size
        end = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, 0, os.SEEK_SET)
        data = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        return st, end, len(data)
    finally:
        os.close(fd)

first = one()
print("LOOKUP-SIZE-OK" if first[0] == first[1] == first[2] > 0 else "LOOKUP-SIZE-BAD %r" % (first,))
bad = 0
for _ in range(rounds):
    st, end, n = one()
    if not (st == end == n):
        bad += 1
print(bad)
EOF
py=/usr/bin/python3
"$py" "$CASE_DIR/loop.py" "$MNT/.system/audit" 1500 >"$CASE_DIR/root.out" 2>"$CASE_DIR/root.err" &
root_pid=$!
(rb_exec_as 20003 "$py" "$CASE_DIR/loop.py" "$MNT/.system/audit" 1500) >"$CASE_DIR/scoped.out" 2>"$CASE_DIR/scoped.err" &
scoped_pid=$!
wait "$root_pid"
wait "$scoped_pid"
assert_eq "$(cat "$CASE_DIR/root.err" "$CASE_DIR/scoped.err")" "" "the loops ran"
assert_eq "$(sed -n 1p "$CASE_DIR/root.out")" LOOKUP-SIZE-OK "root: fstat right after the lookup"
assert_eq "$(sed -n 1p "$CASE_DIR/scoped.out")" LOOKUP-SIZE-OK "admin of acme: fstat right after the lookup"
assert_eq "$(sed -n 2p "$CASE_DIR/root.out")" 0 "root: fstat, SEEK_END and EOF agree in every round"
assert_eq "$(sed -n 2p "$CASE_DIR/scoped.out")" 0 "admin of acme: fstat, SEEK_END and EOF agree in every round"

root_len=$(wc -c <"$MNT/.system/audit")
scoped_len=$(rb_exec_as 20003 sh -c 'wc -c <"$1"' _ "$MNT/.system/audit")
assert_eq "$((scoped_len < root_len))" 1 "the scoped reader's file is smaller ($scoped_len < $root_len)"
assert_eq "$(stat -c %s "$MNT/.system/audit")" "$root_len" "stat by name: root's size"
assert_eq "$(rb_exec_as 20003 stat -c %s "$MNT/.system/audit")" "$scoped_len" "stat by name: the scoped reader's size"
assert_eq "$(rb_exec_as 20004 stat -c %s "$MNT/.system/audit")" 0 "stat by name: 0 for a uid that may not read the audit"
assert_eq "$(as_user 20004 probe open-r "$MNT/.system/audit")" EACCES "and it may not open it"
umount_pinfs
