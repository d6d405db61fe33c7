# rmdir of a tenant while a file created in it is still open (not committed
# yet) answers ENOTEMPTY, and the file's close then commits into the tenant
# that is still there. The other order: once a tenant is removed, a process
# whose working directory was inside it cannot create there (ENOENT), so no
# commit brings the removed tenant back.
mount_pinfs
mkdir "$MNT/acme" "$MNT/gone"
python3 - "$MNT" <<'PY'
import errno, os, sys
mnt = sys.argv[1]
fd = os.open(mnt + "/acme/x", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
try:
    os.rmdir(mnt + "/acme")
    sys.exit("rmdir succeeded with a created file open")
except OSError as e:
    assert e.errno == errno.ENOTEMPTY, e
os.write(fd, b'{"kept": true}')
os.close(fd)
assert os.listdir(mnt + "/acme") == ["x"], os.listdir(mnt + "/acme")

os.chdir(mnt + "/gone")
os.rmdir(mnt + "/gone")
try:
    os.close(os.open("y", os.O_WRONLY | os.O_CREAT))
    sys.exit("created a file in a removed tenant")
except OSError as e:
    assert e.errno == errno.ENOENT, e
os.chdir("/")
PY
tool_assert_pins 'acme|x'
assert_eq "$(pg_sql "SELECT name FROM system.tenants ORDER BY 1")" acme "tenant rows"
assert_eq "$(ls "$MNT")" acme "the root"
umount_pinfs
