# Directory /.system is reachable by name for every caller with a policy
# loaded (root, a scoped uid, a uid bound to nothing), is not listed in /
# (so tar, find and cp -r walk pins only), and holds exactly the ten files
# of DESIGN.md section 8 and locks (issue 16), each with the mode its use implies.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
files="audit credentials events expire health locks metrics policy reload routes whoami"
for u in 0 20001 20009; do
    if as_user $u ls -A "$MNT" | grep -qx '\.system'; then
        fail "uid $u: .system listed in /"
    fi
    assert_eq "$(as_user $u probe stat "$MNT/.system")" "OK 0" "uid $u: stat /.system by name"
    assert_eq "$(as_user $u ls "$MNT/.system" | tr '\n' ' ')" "$files " "uid $u: ls /.system"
    assert_eq "$(as_user $u stat -c '%F %a' "$MNT/.system")" "directory 755" "uid $u: stat /.system"
done
assert_eq "$(stat -c '%n %a' "$MNT"/.system/* | sed "s|$MNT/.system/||" | tr '\n' ' ')" \
    "audit 444 credentials 666 events 444 expire 200 health 444 locks 444 metrics 444 policy 444 reload 200 routes 444 whoami 444 " \
    "modes"
assert_eq "$(as_user 20009 probe stat "$MNT/.system/nope")" ENOENT "unknown /.system name"
umount_pinfs
