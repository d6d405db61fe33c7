# "/" lists exactly the tenants in the caller's scope (names and globs),
# whoever listed it before; a caller bound to nothing sees nothing.
rb_policy '[
  {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
  {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
  {"uid": 20002, "roles": ["dev"], "tenants": ["lab-*"]},
  {"uid": 20003, "roles": ["readonly"], "tenants": ["*"]},
  {"uid": 20005, "roles": ["machine"], "tenants": ["global", "lab-1", "missing"]}]'
rb_config
mount_pinfs
for t in acme beta global lab-1 lab-2; do
    mkdir "$MNT/$t"
    echo '{}' >"$MNT/$t/k"
done
# root lists first (kernel caches warm)
assert_eq "$(ls -A "$MNT" | tr '\n' ' ')" "acme beta global lab-1 lab-2 " "root"
ls -l "$MNT" >/dev/null
assert_eq "$(as_user 20001 ls -A "$MNT" | tr '\n' ' ')" "acme " "uid 20001 [acme]"
assert_eq "$(as_user 20002 ls -A "$MNT" | tr '\n' ' ')" "lab-1 lab-2 " "uid 20002 [lab-*]"
assert_eq "$(as_user 20003 ls -A "$MNT" | tr '\n' ' ')" "acme beta global lab-1 lab-2 " "uid 20003 [*]"
assert_eq "$(as_user 20004 ls -A "$MNT" | tr '\n' ' ')" "" "uid 20004 (no binding)"
assert_eq "$(as_user 20005 ls -A "$MNT" | tr '\n' ' ')" "global lab-1 " "uid 20005 [global lab-1 missing]"
# find walks only what is visible, without errors.
assert_eq "$(as_user 20002 find "$MNT" -mindepth 1 -not -path "$MNT/.system*" | sed "s|^$MNT/||" | sort | tr '\n' ' ')" \
    "lab-1 lab-1/k lab-2 lab-2/k " "uid 20002 find"
umount_pinfs
