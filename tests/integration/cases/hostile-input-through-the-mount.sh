# What a user can type never crashes the daemon nor changes what it should
# not: hostile names, 64 KiB xattr values, deeply nested JSON. Each gets a
# clear errno, the old value stays, and the daemon keeps serving.
write_config
mount_pinfs
mkdir "$MNT/acme"
echo '{"old": true}' >"$MNT/acme/k"
old=$(cat "$MNT/acme/k")

step "names"
assert_eq "$(probe write-trunc "$MNT/acme/$(printf 'new\nline')" '{}')" "open=EINVAL" "a name with a newline"
assert_eq "$(probe write-trunc "$MNT/acme/$(printf 'bad\xc3\x28utf8')" '{}')" "open=EINVAL" "invalid UTF-8"
assert_eq "$(probe write-trunc "$MNT/acme/$(printf '\x01\x02\x7f')" '{}')" "open=EINVAL" "control characters"
assert_eq "$(probe write-trunc "$MNT/acme/$(head -c 4096 /dev/zero | tr '\0' a)" '{}')" "open=ENAMETOOLONG" "a 4 KiB name"
assert_eq "$(probe write-trunc "$MNT/acme/a%zz" '{}')" "open=EINVAL" "a % that is no escape"
# NUL-free binary: every byte 0x20..0xff except '/', as one name (255 bytes at most).
bin=$(/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes(b for b in range(0x20, 0x100) if b != 0x2f)[:200])')
r=$(probe write-trunc "$MNT/acme/$bin" '{}')
[[ $r == "open=EINVAL" ]] || fail "binary name: $r"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 1 "no pin was created by a bad name"

step "64 KiB xattr values"
big=$(head -c 65536 /dev/zero | tr '\0' 7)
setfattr -n user.pin.ttl -v "$big" "$MNT/acme/k" 2>"$CASE_DIR/err" && fail "a 64 KiB TTL was accepted"
assert_match "$(cat "$CASE_DIR/err")" 'Numerical result out of range' "a 64 KiB TTL"
setfattr -n user.pin.source -v "$(head -c 65536 /dev/zero | tr '\0' s)" "$MNT/acme/k" 2>"$CASE_DIR/err" &&
    fail "a 64 KiB source was accepted"
assert_match "$(cat "$CASE_DIR/err")" 'Invalid argument' "a 64 KiB source"
setfattr -n user.whatever -v "$big" "$MNT/acme/k" 2>"$CASE_DIR/err" && fail "an unknown attribute was accepted"
assert_match "$(cat "$CASE_DIR/err")" 'Operation not supported' "a 64 KiB unknown attribute"
assert_eq "$(getfattr --only-values --absolute-names -n user.pin.source "$MNT/acme/k")" fs "source unchanged"
getfattr -n user.pin.ttl "$MNT/acme/k" >/dev/null 2>&1 && fail "a TTL appeared"

step "deep JSON"
# Too big for one argument: written by python, which reports the write's errno.
r=$(/usr/bin/python3 - "$MNT/acme/k" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
try:
    os.write(fd, b"[" * 100000 + b"]" * 100000)
    print("write=OK")
except OSError as e:
    print("write=" + errno.errorcode[e.errno])
try:
    os.close(fd)
except OSError as e:
    pass
PY
)
assert_eq "$r" "write=EINVAL" "100,000 levels"
r=$(probe write-trunc "$MNT/acme/k" "$(/usr/bin/python3 -c 'print("[" * 65 + "]" * 65)')")
assert_match "$r" '^write=EINVAL' "65 levels (the limit is 64)"
r=$(probe write-trunc "$MNT/acme/depth64" "$(/usr/bin/python3 -c 'print("[" * 64 + "]" * 64)')")
assert_eq "$r" "write=OK close=OK" "64 levels"
assert_eq "$(cat "$MNT/acme/k")" "$old" "the old value after all of it"
assert_eq "$(cat "$MNT/.system/health")" ok "the daemon still serves"
umount_pinfs
