# The limit is on what a reader gets: a value whose file (pretty form, final
# newline included) is 1,048,576 bytes is accepted; one byte more is EFBIG
# at the write that completes it, and at close.
mount_pinfs
mkdir "$MNT/acme"
json_string_of_size()
{
    printf '"'
    head -c $(($1 - 2)) /dev/zero | tr '\0' b
    printf '"'
}
json_string_of_size 1048575 >fits.json
json_string_of_size 1048576 >over.json

assert_eq "$(probe write-trunc "$MNT/acme/k" - <fits.json)" "write=OK close=OK" "1048575 bytes"
assert_eq "$(probe stat "$MNT/acme/k")" "OK 1048576" "size with the trailing newline"
{ cat fits.json; echo; } >expected
assert_file_eq "$MNT/acme/k" expected
assert_eq "$(pg_sql "SELECT length(value #>> '{}') FROM system.memory_pins WHERE key = 'k'")" 1048573 "stored"

assert_eq "$(probe write-trunc "$MNT/acme/k" - <over.json)" "write=EFBIG close=EFBIG" "1048576 bytes (1048577 to read)"
assert_file_eq "$MNT/acme/k" expected
umount_pinfs
