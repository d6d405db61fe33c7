# copy_file_range between two pins works (pinfs does not implement it, so the
# kernel falls back to read + write): os.copy_file_range copies the bytes
# into the destination's staged buffer, committed at close; cp between pins
# (which tries copy_file_range first) works twice in a row.
mount_pinfs
mkdir "$MNT/acme"
echo '{"src":[1,2,3]}' >"$MNT/acme/src"
echo '"old"' >"$MNT/acme/dst"

/usr/bin/python3 - "$MNT/acme/src" "$MNT/acme/dst" <<'PY'
import os, sys
src, dst = sys.argv[1:]
size = os.stat(src).st_size
fi = os.open(src, os.O_RDONLY)
fo = os.open(dst, os.O_WRONLY | os.O_TRUNC)
done = 0
while done < size:
    n = os.copy_file_range(fi, fo, size - done)
    assert n > 0, n
    done += n
os.close(fi)
os.close(fo)
PY
assert_eq "$(tool_value acme dst)" '{"src": [1, 2, 3]}' "dst after copy_file_range"
assert_file_eq "$MNT/acme/dst" "$MNT/acme/src"

cp "$MNT/acme/src" "$MNT/acme/c1"
cp "$MNT/acme/src" "$MNT/acme/c2"
assert_eq "$(tool_value acme c1)" '{"src": [1, 2, 3]}' "c1"
assert_eq "$(tool_value acme c2)" '{"src": [1, 2, 3]}' "c2"
tool_assert_pins 'acme|c1' 'acme|c2' 'acme|dst' 'acme|src'
umount_pinfs
