# ls / lists the tenants, ls /TENANT lists its keys (and only its keys).
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '1' >"$MNT/acme/k1"
echo '2' >"$MNT/acme/k2"
echo '3' >"$MNT/beta/other"

assert_eq "$(ls "$MNT")" $'acme\nbeta' "ls /"
assert_eq "$(ls "$MNT/acme")" $'k1\nk2' "ls /acme"
assert_eq "$(ls "$MNT/beta")" other "ls /beta"
assert_eq "$(ls -A "$MNT/acme")" $'k1\nk2' "ls -A /acme (no hidden entries)"
assert_eq "$(find "$MNT/acme" -type f | sort)" "$MNT/acme/k1"$'\n'"$MNT/acme/k2" "find -type f"
umount_pinfs
