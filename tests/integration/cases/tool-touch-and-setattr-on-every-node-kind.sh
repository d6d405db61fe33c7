# touch, utimensat (UTIME_NOW, UTIME_OMIT, given times), chmod and chown on
# every kind of node: the mount root, a tenant, a pin, a name created and not
# committed yet, /.system and a /.system file. Each answers OK or a clean
# errno, and the mount keeps working afterwards (before the fix, `touch`
# of the root or a tenant answered EIO and left every later request on the
# mount failing with EIO until a remount). Nothing is stored: values, rows
# and shown modes stay as they were.
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
before=$(pg_sql "SELECT id, value::text, updated_at FROM system.memory_pins")

healthy() # WHAT: the mount still answers everything
{
    assert_eq "$(cat "$MNT/.system/health")" ok "health after $1"
    assert_eq "$(ls "$MNT")" acme "ls of the root after $1"
    assert_eq "$(ls "$MNT/acme")" k "ls of the tenant after $1"
    assert_eq "$(jq -c . "$MNT/acme/k")" '{"a":1}' "cat of the pin after $1"
    assert_eq "$(stat -c '%F %a' "$MNT" "$MNT/acme" "$MNT/acme/k" | tr '\n' ' ')" \
        "directory 755 directory 755 regular file 644 " "stat after $1"
}

for node in "$MNT" "$MNT/acme" "$MNT/acme/k" "$MNT/.system" "$MNT/.system/health"; do
    what=${node#"$MNT"}
    touch "$node" || fail "touch ${what:-/}"
    healthy "touch ${what:-/}"
    touch -m -d '2001-02-03 04:05:06' "$node" || fail "touch -d ${what:-/}"
    touch -a "$node" || fail "touch -a ${what:-/}"
    for times in "now now" "now omit" "omit now" "omit omit" "981173106 981173106"; do
        # shellcheck disable=SC2086
        assert_eq "$(probe utimens "$node" $times)" OK "utimensat ${what:-/} $times"
    done
    healthy "utimensat ${what:-/}"
done

step "chmod and chown: as shown is a no-op everywhere"
assert_eq "$(probe chmod "$MNT" 755)" OK "chmod 755 root"
assert_eq "$(probe chmod "$MNT/acme/k" 644)" OK "chmod 644 pin"
assert_eq "$(probe chown "$MNT/acme/k" 0 0)" OK "chown 0:0 pin"
assert_eq "$(probe chown "$MNT/acme" -1 0)" OK "chgrp 0 tenant"

step "other modes and owners: directories accept (not stored), a committed pin refuses"
assert_eq "$(probe chmod "$MNT" 700)" OK "chmod 700 root"
assert_eq "$(probe chmod "$MNT/acme" 700)" OK "chmod 700 tenant"
assert_eq "$(probe chown "$MNT/acme" 1000 1000)" OK "chown tenant"
assert_eq "$(probe chmod "$MNT/acme/k" 600)" EPERM "chmod 600 pin"
assert_eq "$(probe chown "$MNT/acme/k" 1000 -1)" EPERM "chown pin"
assert_eq "$(probe chmod "$MNT/.system/health" 600)" EACCES "chmod /.system/health"
assert_eq "$(probe truncate "$MNT/acme" 0)" EISDIR "truncate a tenant"
healthy "chmod and chown"

step "a name created and not committed yet accepts fchmod, fchown and futimens"
python3 - "$MNT/acme/new" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.fchmod(fd, 0o600)                     # rsync's mkstemp
os.fchown(fd, 1000, 1000)                # tar as root
os.utime(fd, ns=(10**18, 10**18))        # tar, rsync -t
os.chmod(sys.argv[1], 0o640)             # by path, before the first commit
os.write(fd, b'{"fresh": true}')
os.close(fd)
PY
assert_eq "$(jq -c . "$MNT/acme/new")" '{"fresh":true}' "the new pin"
assert_eq "$(stat -c '%a %u' "$MNT/acme/new")" "644 0" "its shown mode and owner"
assert_eq "$(probe chmod "$MNT/acme/new" 600)" EPERM "chmod once committed"

assert_eq "$(pg_sql "SELECT id, value::text, updated_at FROM system.memory_pins WHERE key = 'k'")" \
    "$before" "the row of k"
tool_assert_pins 'acme|k' 'acme|new'
umount_pinfs
