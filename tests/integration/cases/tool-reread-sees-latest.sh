# A reader that keeps a pin open sees the latest committed value whenever it
# reads from offset 0 again (pread or seek 0), not a snapshot taken at open:
# after another process replaces the value with a longer and then a shorter
# one, the same handle reads each new value whole.
mount_pinfs
mkdir "$MNT/acme"
echo '"first"' >"$MNT/acme/k"

mkfifo ready go
/usr/bin/python3 - "$MNT/acme/k" <<'PY' >reads.txt &
import os, sys

def handshake():
    with open("ready", "w") as r:
        r.write("read\n")
    with open("go") as g:
        g.readline()

fd = os.open(sys.argv[1], os.O_RDONLY)
f = os.fdopen(fd, "rb", buffering=0)
print(repr(os.pread(fd, 4096, 0)), flush=True)
handshake()
print(repr(os.pread(fd, 4096, 0)), flush=True)
handshake()
f.seek(0)
print(repr(f.read()), flush=True)
handshake()
f.seek(0)
print(repr(f.read()), flush=True)
f.close()
PY
py=$!
tool_bg "$py"
tool_fifo_wait ready >/dev/null
echo '{"second":"a much longer value than before"}' >"$MNT/acme/k"
tool_fifo_send go
tool_fifo_wait ready >/dev/null
echo '[3]' >"$MNT/acme/k"
tool_fifo_send go
tool_fifo_wait ready >/dev/null
bash -c 'cat >"$1"' _ "$MNT/acme/k" <<<'"x"'
tool_fifo_send go
wait "$py" || fail "the reader failed"
assert_content reads.txt <<'EOF2'
b'"first"\n'
b'{\n  "second": "a much longer value than before"\n}\n'
b'[\n  3\n]\n'
b'"x"\n'
EOF2
tool_assert_pins 'acme|k'
umount_pinfs
