# Bindings match by user name, by primary group and by supplementary group
# (names resolved when the policy loads); a caller matching none of them is
# refused, and dropping the supplementary group drops the grant.
getent passwd bin >/dev/null || skip "no user 'bin' to bind"
if ! getent group tape >/dev/null || ! getent group adm >/dev/null; then
    skip "no groups 'tape' and 'adm'"
fi
bin_uid=$(id -u bin)
tape_gid=$(getent group tape | cut -d: -f3)
adm_gid=$(getent group adm | cut -d: -f3)

rb_policy '[
  {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
  {"user": "bin", "roles": ["machine"], "tenants": ["acme"]},
  {"group": "tape", "roles": ["dev"], "tenants": ["acme"]},
  {"group": "adm", "roles": ["dev"], "tenants": ["beta"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a":1}' >"$MNT/acme/k"
echo '{"b":1}' >"$MNT/beta/k"

step "user binding (bin, uid $bin_uid): machine on acme"
assert_eq "$(rb_as_groups "$bin_uid" 20100 "" probe stat "$MNT/acme/k")" "OK 13" "bin reads acme"
assert_eq "$(rb_as_groups "$bin_uid" 20100 "" probe write-trunc "$MNT/acme/k" '{"a":2}')" \
    "write=OK close=OK" "bin writes acme"
assert_eq "$(rb_as_groups "$bin_uid" 20100 "" probe unlink "$MNT/acme/k")" EACCES "bin cannot delete"
assert_eq "$(rb_as_groups "$bin_uid" 20100 "" probe stat "$MNT/beta/k")" EACCES "bin: beta out of scope"

step "primary group binding (tape, gid $tape_gid): dev on acme"
assert_eq "$(rb_as_groups 20010 "$tape_gid" "" probe open-r "$MNT/acme/k")" OK "tape reads acme"
assert_eq "$(rb_as_groups 20010 "$tape_gid" "" probe write-trunc "$MNT/acme/k" '{"a":3}')" \
    open=EACCES "tape (dev) cannot write"
assert_eq "$(rb_as_groups 20010 "$tape_gid" "" probe stat "$MNT/beta/k")" EACCES "tape: beta out of scope"
assert_eq "$(rb_as_groups 20010 20010 "" probe stat "$MNT/acme/k")" EACCES "same uid without the group"

step "supplementary group binding (adm, gid $adm_gid): dev on beta"
assert_eq "$(rb_as_groups 20011 20011 "$adm_gid" probe open-r "$MNT/beta/k")" OK "adm member reads beta"
assert_eq "$(rb_as_groups 20011 20011 "$adm_gid" cat "$MNT/beta/k")" $'{\n  "b": 1\n}' "adm member cat"
assert_eq "$(rb_as_groups 20011 20011 "$adm_gid" probe stat "$MNT/acme/k")" EACCES "adm member: acme out of scope"
assert_eq "$(rb_as_groups 20011 20011 "$adm_gid" ls "$MNT")" beta "adm member's ls /"
assert_eq "$(rb_as_groups 20011 20011 "" probe open-r "$MNT/beta/k")" EACCES "without the supplementary group"
# Both groups: the union of the two bindings, each with its own scope.
assert_eq "$(rb_as_groups 20012 "$tape_gid" "$adm_gid" ls "$MNT")" $'acme\nbeta' "both groups' ls /"
assert_eq "$(rb_as_groups 20012 "$tape_gid" "$adm_gid" probe write-trunc "$MNT/beta/k" '1')" \
    open=EACCES "both groups: still only dev"

step "no binding at all"
assert_eq "$(rb_as_groups 20013 20013 "" probe stat "$MNT/acme/k")" EACCES "unbound stat"
assert_eq "$(rb_as_groups 20013 20013 "" probe readdir "$MNT")" "OK 0" "unbound ls / shows nothing"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'acme'")" '{"a": 2}' "acme/k"
umount_pinfs
