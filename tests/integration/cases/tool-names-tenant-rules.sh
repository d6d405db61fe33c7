# Tenant names are 1-64 bytes of [A-Za-z0-9_.-], not starting with '.':
# mkdir of a valid name creates the tenant; a bad name is EINVAL and a
# 65-byte name ENAMETOOLONG, creating nothing; writing a file into the root
# is refused and creates no pin.
mount_pinfs
long64=$(printf 'x%.0s' {1..64})
for name in a A-b_c.9 "$long64" 0 x.y.; do
    mkdir "$MNT/$name" || fail "mkdir $name failed"
done
for name in .hidden 'a b' 'ü' 'a%2Fb' 'tab	x' 'a:b' 'a*'; do
    assert_eq "$(probe mkdir "$MNT/$name")" EINVAL "mkdir $(printf '%q' "$name")"
done
assert_eq "$(probe mkdir "$MNT/${long64}y")" ENAMETOOLONG "mkdir of 65 bytes"
if err=$(mkdir "$MNT/bad name" 2>&1); then
    fail "mkdir 'bad name' succeeded"
fi
assert_match "$err" 'Invalid argument' "mkdir's message"
assert_match "$(probe write-trunc "$MNT/file-in-root" '1')" '^open=E' "a file in the root"

assert_eq "$(pg_sql "SELECT name FROM system.tenants ORDER BY name COLLATE \"C\"")" \
    "$(printf '%s\n' 0 A-b_c.9 a "$long64" x.y. | LC_ALL=C sort)" "tenant rows"
assert_eq "$(ls "$MNT" | LC_ALL=C sort)" "$(printf '%s\n' 0 A-b_c.9 a "$long64" x.y. | LC_ALL=C sort)" "ls /"
tool_assert_pins
umount_pinfs
