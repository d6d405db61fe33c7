# cp copies a JSON file into a tenant (new key, then over an existing one)
# and a pin out of the mount, as its canonical text.
mount_pinfs
mkdir "$MNT/acme"
printf '{"cp":[1,2],"x":"y"}' >in.json
cp in.json "$MNT/acme/k"
printf '%s\n' '{' '  "x": "y",' '  "cp": [' '    1,' '    2' '  ]' '}' >expected
assert_file_eq "$MNT/acme/k" expected

cp "$MNT/acme/k" out.json
assert_file_eq out.json expected

printf '["second"]\n' >in2.json
cp in2.json "$MNT/acme/k"
printf '%s\n' '[' '  "second"' ']' >expected2
assert_file_eq "$MNT/acme/k" expected2
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" '["second"]' "stored value"
umount_pinfs
