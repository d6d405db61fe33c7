# Kernel caches must not leak another tenant: after root has listed, read,
# stat'ed and getfattr'ed tenant beta's pins (and while root keeps one open
# with its cwd in beta), a uid scoped to acme still cannot stat, read, list
# or probe them. A denial must not poison root's view either.
rb_policy '[
  {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
  {"uid": 20001, "roles": ["admin"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a":1}' >"$MNT/acme/k"
for i in 1 2 3; do
    echo "{\"secret\":$i}" >"$MNT/beta/s$i"
done

step "root warms every cache"
ls -l "$MNT" "$MNT/beta" >/dev/null
cat "$MNT/beta/s1" "$MNT/beta/s2" "$MNT/beta/s3" >/dev/null
stat "$MNT/beta" "$MNT/beta/s1" "$MNT/beta/s2" >/dev/null
getfattr -d "$MNT/beta/s1" >/dev/null 2>&1
find "$MNT/beta" >/dev/null
# root keeps beta/s1 open and its cwd in beta meanwhile
(cd "$MNT/beta" && exec 3<"$MNT/beta/s1" && exec sleep 60) &
holder=$!
# stop it even when an assertion ends the case early (a busy mount cannot unmount)
trap 'kill "$holder" 2>/dev/null || true' EXIT

u=20001
for round in 1 2; do
    step "uid $u, round $round"
    assert_eq "$(as_user $u probe stat "$MNT/beta/s1")" EACCES "stat s1"
    assert_eq "$(as_user $u probe stat "$MNT/beta/s2")" EACCES "stat s2"
    assert_eq "$(as_user $u probe stat "$MNT/beta")" EACCES "stat beta"
    assert_eq "$(as_user $u probe open-r "$MNT/beta/s1")" EACCES "open s1"
    assert_eq "$(as_user $u probe readdir "$MNT/beta")" EACCES "readdir beta"
    assert_eq "$(as_user $u probe access "$MNT/beta/s1" f)" EACCES "access s1"
    assert_eq "$(as_user $u probe getxattr "$MNT/beta/s1" user.pin.id)" EACCES "getxattr s1"
    assert_eq "$(as_user $u probe listxattr "$MNT/beta/s2")" EACCES "listxattr s2"
    assert_fails as_user $u cat "$MNT/beta/s1" 2>/dev/null
    assert_fails as_user $u ls "$MNT/beta" 2>/dev/null
    assert_fails as_user $u test -e "$MNT/beta/s3"
    out=$(as_user $u stat -c '%s' "$MNT/beta/s1" 2>&1 || true)
    assert_match "$out" 'Permission denied' "stat(1) output"
    assert_eq "$(as_user $u ls -A "$MNT" | tr '\n' ' ')" "acme " "ls /"
    assert_eq "$(as_user $u cat "$MNT/acme/k")" $'{\n  "a": 1\n}' "own tenant"
    # root again, after the denials: its view is intact
    assert_eq "$(probe stat "$MNT/beta/s1")" "OK 18" "root stat after the denial"
    assert_eq "$(cat "$MNT/beta/s2")" $'{\n  "secret": 2\n}' "root cat after the denial"
done
kill "$holder"
wait "$holder" 2>/dev/null || true
umount_pinfs
