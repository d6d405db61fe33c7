# A writer's own fstat reports the size of what it has written and not yet
# committed (pread on the same descriptor returns those bytes): a new file,
# an existing pin after O_TRUNC, and Python's buffered file after flush.
# After the close everyone sees the committed (canonical) size. (Another
# process cannot look in between without committing: forking a process
# duplicates the descriptor, and its close at exec is a FUSE flush.)
mount_pinfs
mkdir "$MNT/acme"
assert_eq "$(probe write-fstat "$MNT/acme/new" 12345)" "write=OK fstat=5 pread=5 close=OK" "a new file"
assert_eq "$(stat -c %s "$MNT/acme/new")" 6 "committed: 12345 and a newline"
echo '{"old": "value here"}' >"$MNT/acme/k"
assert_eq "$(probe trunc-write-fstat "$MNT/acme/k" 123)" "write=OK fstat=3 pread=3 close=OK" \
    "O_TRUNC over a pin"
assert_eq "$(cat "$MNT/acme/k")" 123 "the new value"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" 123 "its row"
python3 - "$MNT/acme/k" <<'PY'
import os, sys
path = sys.argv[1]
with open(path, "w") as f:
    f.write('{"python": 1}')
    f.flush()
    assert os.fstat(f.fileno()).st_size == 13, os.fstat(f.fileno()).st_size
    assert os.stat(path).st_size == 13, "stat by path in the writing thread"
assert os.stat(path).st_size == 18, os.stat(path).st_size
PY
umount_pinfs
