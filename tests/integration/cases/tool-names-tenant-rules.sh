# Tenant names are 1-64 bytes of [A-Za-z0-9_.-], not starting with '.':
# mkdir of a valid name creates the tenant; a name starting with '.' is
# EACCES, like a key's (one rule for names made through the mount), any
# other bad name EINVAL and a 65-byte name ENAMETOOLONG, creating nothing;
# creating a file in the root (touch, a redirection) is EPERM: the root
# holds tenants only.
mount_pinfs
long64=$(printf 'x%.0s' {1..64})
for name in a A-b_c.9 "$long64" 0 x.y.; do
    mkdir "$MNT/$name" || fail "mkdir $name failed"
done
assert_eq "$(probe mkdir "$MNT/.hidden")" EACCES "mkdir .hidden"
for name in 'a b' 'ü' 'a%2Fb' 'tab	x' 'a:b' 'a*'; do
    assert_eq "$(probe mkdir "$MNT/$name")" EINVAL "mkdir $(printf '%q' "$name")"
done
assert_eq "$(probe mkdir "$MNT/${long64}y")" ENAMETOOLONG "mkdir of 65 bytes"
if err=$(mkdir "$MNT/bad name" 2>&1); then
    fail "mkdir 'bad name' succeeded"
fi
assert_match "$err" 'Invalid argument' "mkdir's message"
assert_eq "$(probe write-trunc "$MNT/file-in-root" '1')" open=EPERM "a file in the root"
if touch "$MNT/new-in-root" 2>/dev/null; then
    fail "touch in the root succeeded"
fi

assert_eq "$(pg_sql "SELECT name FROM system.tenants ORDER BY name COLLATE \"C\"")" \
    "$(printf '%s\n' 0 A-b_c.9 a "$long64" x.y. | LC_ALL=C sort)" "tenant rows"
assert_eq "$(ls "$MNT" | LC_ALL=C sort)" "$(printf '%s\n' 0 A-b_c.9 a "$long64" x.y. | LC_ALL=C sort)" "ls /"
tool_assert_pins
umount_pinfs
