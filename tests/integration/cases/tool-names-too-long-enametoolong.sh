# An encoded name may be 255 bytes: a 255-byte name works, 256 is
# ENAMETOOLONG and creates nothing; the limit counts the encoded bytes
# (85 '/' are 255 bytes as %2F, 86 are too long; 3-byte UTF-8 characters
# count 3). The tools report "File name too long".
mount_pinfs
mkdir "$MNT/acme"
t=$MNT/acme
rep()
{
    local out='' i
    for ((i = 0; i < $2; i++)); do out+=$1; done
    printf '%s' "$out"
}

echo 1 >"$t/$(rep a 255)" || fail "echo > a 255-byte name failed"
assert_eq "$(probe write-trunc "$t/$(rep a 256)" 2)" open=ENAMETOOLONG "256 bytes"
if err=$(bash -c 'echo 2 >"$1"' _ "$t/$(rep b 300)" 2>&1); then
    fail "echo > a 300-byte name succeeded"
fi
assert_match "$err" 'File name too long' "bash's message"
echo 3 >"$t/$(rep %2F 85)" || fail "echo > 85 encoded slashes failed"
assert_eq "$(probe write-trunc "$t/$(rep %2F 86)" 4)" open=ENAMETOOLONG "86 encoded slashes (258 bytes)"
echo 5 >"$t/$(rep 日 85)" || fail "echo > 85 three-byte characters failed"
assert_eq "$(probe write-trunc "$t/$(rep 日 86)" 6)" open=ENAMETOOLONG "86 three-byte characters"
assert_eq "$(probe stat "$t/$(rep a 256)")" ENAMETOOLONG "stat of a 256-byte name"
assert_eq "$(probe mkdir "$MNT/$(rep t 256)")" ENAMETOOLONG "mkdir of a 256-byte tenant"

assert_eq "$(pg_sql "SELECT octet_length(key) || ' ' || value::text FROM system.memory_pins ORDER BY value::text")" \
    $'255 1\n85 3\n255 5' "stored keys (length, value)"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key = repeat('/', 85)")" 1 "the slash key"
assert_eq "$(ls "$t" | wc -l)" 3 "ls count"
umount_pinfs
