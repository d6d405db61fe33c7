# chmod and chown to the values already reported (pins 0644, tenants 0755,
# owned by the mounting uid) succeed and change nothing; any other mode or
# owner of a committed pin is EPERM ("Operation not permitted"), and
# nothing changes. A directory's mode and owner are not stored either, but
# changing them is accepted (tar and rsync -a restore directory modes):
# the tenant still shows 0755 afterwards.
mount_pinfs
mkdir "$MNT/acme"
echo '{"m":1}' >"$MNT/acme/k"
before=$(pg_sql "SELECT value::text, updated_at FROM system.memory_pins")

chmod 644 "$MNT/acme/k" || fail "chmod 644 of a pin failed"
chmod u=rw,go=r "$MNT/acme/k" || fail "chmod u=rw,go=r of a pin failed"
chmod 755 "$MNT/acme" || fail "chmod 755 of a tenant failed"
chown root:root "$MNT/acme/k" || fail "chown root:root of a pin failed"
chown 0 "$MNT/acme" || fail "chown 0 of a tenant failed"
chgrp 0 "$MNT/acme/k" || fail "chgrp 0 of a pin failed"

chmod 700 "$MNT/acme" || fail "chmod 700 of a tenant failed"
for args in "600 $MNT/acme/k" "+x $MNT/acme/k" "666 $MNT/acme/k"; do
    # shellcheck disable=SC2086
    if err=$(chmod $args 2>&1); then
        fail "chmod $args succeeded"
    fi
    assert_match "$err" 'Operation not permitted' "chmod $args"
done
assert_eq "$(probe chmod "$MNT/acme/k" 600)" EPERM "chmod(2) 600"
for owner in 1000 0:1000 1000:1000; do
    if err=$(chown "$owner" "$MNT/acme/k" 2>&1); then
        fail "chown $owner succeeded"
    fi
    assert_match "$err" 'Operation not permitted' "chown $owner"
done

assert_eq "$(stat -c '%a %u %g' "$MNT/acme/k")" "644 0 0" "pin mode and owner"
assert_eq "$(stat -c '%a %u %g' "$MNT/acme")" "755 0 0" "tenant mode and owner"
assert_eq "$(pg_sql "SELECT value::text, updated_at FROM system.memory_pins")" "$before" "the row"
tool_assert_pins 'acme|k'
umount_pinfs
