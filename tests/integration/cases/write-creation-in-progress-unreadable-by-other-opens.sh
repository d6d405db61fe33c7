# A name created through the mount and not committed yet (its creator's
# open(O_CREAT) has not been closed) is not readable by any other open,
# not even by another process of the creating uid: a read returns a whole
# committed value or an errno, never the empty file of a creation in
# progress (issue 17; docs/decisions.md "Creations in progress").
#   - While nothing is committed under the name, another process's
#     read-only and read-write opens are ENOENT, and read again the same;
#     stat still shows the name to the creating uid (size 0), as before.
#   - When another writer commits a value under that name meanwhile
#     (pinctl seed, straight to the backend), readers get that value, whole,
#     while the creation is still in progress.
#   - An open that writes without reading (O_WRONLY|O_TRUNC) joins the
#     creation, and its commit is the value.
#   - The creator's close commits its value, and readers then get it.
# On a PostgreSQL route (acme) and an SQLite route (lab).
rt_pg_sqlite_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"

# holder TENANT KEY: creates KEY with open(O_WRONLY|O_CREAT|O_TRUNC), says
# "created" on TENANT.KEY.up, waits for a word on TENANT.KEY.go, then writes
# that word (a JSON document, or "-" for nothing) and closes, and says how
# the close went on TENANT.KEY.up.
holder()
{
    mkfifo "$1.$2.up" "$1.$2.go"
    /usr/bin/python3 - "$MNT/$1/$2" "$1.$2.up" "$1.$2.go" <<'PY' &
import os, sys
path, up, go = sys.argv[1:]
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
with open(up, "w") as f:
    f.write("created\n")
with open(go) as f:
    word = f.readline().strip()
if word != "-":
    os.write(fd, word.encode())
try:
    os.close(fd)
    res = "OK"
except OSError as e:
    res = "close failed: %s" % e
with open(up, "w") as f:
    f.write(res + "\n")
PY
    tool_bg "$!"
    HOLDER_PID=$!
    assert_eq "$(tool_fifo_wait "$1.$2.up")" created "the holder of $1/$2"
}

# read_twice PATH: what two reads by new processes return, each "ENAME" or its bytes.
read_twice()
{
    /usr/bin/python3 - "$1" <<'PY'
import errno, sys
for _ in range(2):
    try:
        with open(sys.argv[1], "rb") as f:
            print(repr(f.read()))
    except OSError as e:
        print(errno.errorcode[e.errno])
PY
}

for t in acme lab; do
    step "$t: another process of the creating uid reads a creation in progress"
    holder "$t" new
    f=$MNT/$t/new
    assert_eq "$(probe open-r "$f")" ENOENT "$t: O_RDONLY open by another process"
    assert_eq "$(probe open-rw "$f")" ENOENT "$t: O_RDWR open by another process"
    assert_eq "$(read_twice "$f")" $'ENOENT\nENOENT' "$t: two reads by other processes"
    assert_eq "$(probe stat "$f")" "OK 0" "$t: stat by the creating uid"

    step "$t: a value committed by another writer while the creation is in progress"
    jq -n --arg t "$t" '{version: 1, pins: [{tenant: $t, key: "new", value: {seeded: 1}}]}' >"$t.seed.json"
    "$PINCTL" --config "$CONFIG" seed --file "$t.seed.json" >>"$CASE_DIR/pinctl.log" 2>&1 ||
        fail "pinctl seed failed: $(cat -- "$CASE_DIR/pinctl.log")"
    assert_eq "$(read_twice "$f")" "$(printf '%s\n' "b'{\\n  \"seeded\": 1\\n}\\n'" "b'{\\n  \"seeded\": 1\\n}\\n'")" \
        "$t: two reads of the committed value while the creation is in progress"

    step "$t: the creator's close commits its own value"
    tool_fifo_send "$t.new.go" '{"a": 2}'
    assert_eq "$(tool_fifo_wait "$t.new.up")" OK "$t: the creator's close"
    wait "$HOLDER_PID" || fail "the holder of $t/new failed"
    assert_eq "$(cat -- "$f")" $'{\n  "a": 2\n}' "$t: read after the creator's close"

    step "$t: a truncating writer joins a creation in progress; its commit is the value"
    holder "$t" joined
    assert_eq "$(probe write-trunc "$MNT/$t/joined" '{"j": 1}')" "write=OK close=OK" "$t: O_WRONLY|O_TRUNC write"
    assert_eq "$(cat -- "$MNT/$t/joined")" $'{\n  "j": 1\n}' "$t: read after the joined write"
    tool_fifo_send "$t.joined.go" -
    assert_eq "$(tool_fifo_wait "$t.joined.up")" OK "$t: the creator's close with nothing written"
    wait "$HOLDER_PID" || fail "the holder of $t/joined failed"
    assert_eq "$(cat -- "$MNT/$t/joined")" $'{\n  "j": 1\n}' "$t: the joined write's value stays"
done

assert_eq "$(tool_value acme new)" '{"a": 2}' "acme/new in PostgreSQL"
assert_eq "$(tool_value acme joined)" '{"j": 1}' "acme/joined in PostgreSQL"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT key || '=' || value FROM memory_pins WHERE tenant_id = 'lab' ORDER BY key")" \
    $'joined={"j":1}\nnew={"a":2}' "lab's rows in SQLite"
umount_pinfs
