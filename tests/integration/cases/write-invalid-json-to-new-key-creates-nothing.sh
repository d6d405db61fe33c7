# Creating a key commits nothing until a valid document is written: after a
# refused first write (EINVAL at write or at close) the key does not exist,
# in the listing or in the database.
mount_pinfs
mkdir "$MNT/acme"

assert_match "$(probe write-trunc "$MNT/acme/bad1" 'not-json')" '^write=EINVAL ' "bytes that cannot start JSON"
assert_eq "$(probe write-trunc "$MNT/acme/bad2" '{"a":')" "write=OK close=EINVAL" "incomplete document"
assert_eq "$(probe open-w "$MNT/acme/bad3")" ENOENT "bad3 was never created"
bash -c 'echo "[1," >"$1"' _ "$MNT/acme/bad3" || true

for k in bad1 bad2 bad3; do
    assert_eq "$(probe stat "$MNT/acme/$k")" ENOENT "stat $k"
done
assert_eq "$(ls "$MNT/acme")" "" "ls of the tenant"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 0 "rows"
umount_pinfs
