# Writing a read-only /.system file is EACCES, for root and for a uid bound
# to every role alike, whatever the way (open for writing, O_TRUNC,
# O_APPEND, truncate, a shell redirection); reading a write-only command
# file is EACCES too; /.system names cannot be created, removed or renamed.
# (access(2) is sys-access-agrees-with-open-for-system-files.)
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20005, "roles": ["infra"], "tenants": ["*"]}]'
rb_config
mount_pinfs
for u in 0 20005; do
    for f in metrics audit events policy routes whoami health locks; do
        p="$MNT/.system/$f"
        assert_eq "$(as_user $u probe open-w "$p")" EACCES "uid $u, $f: open O_WRONLY"
        assert_eq "$(as_user $u probe open-rw "$p")" EACCES "uid $u, $f: open O_RDWR"
        assert_eq "$(as_user $u probe write-trunc "$p" x)" open=EACCES "uid $u, $f: O_TRUNC write"
        assert_eq "$(as_user $u probe append "$p" x)" open=EACCES "uid $u, $f: O_APPEND write"
        assert_eq "$(as_user $u probe truncate "$p" 0)" EACCES "uid $u, $f: truncate"
        out=$(as_user $u sh -c 'echo x >"$1"' _ "$p" 2>&1 || true)
        assert_match "$out" 'Permission denied' "uid $u, $f: echo >"
        assert_match "$(as_user $u probe open-r "$p")" '^OK' "uid $u, $f: still readable"
    done
    for f in reload expire; do
        assert_eq "$(as_user $u probe open-r "$MNT/.system/$f")" EACCES "uid $u, $f: open for reading"
        assert_eq "$(as_user $u probe open-rw "$MNT/.system/$f")" EACCES "uid $u, $f: open O_RDWR"
    done
    assert_match "$(as_user $u probe write-trunc "$MNT/.system/newfile" '{}')" '^open=E' "uid $u: create in /.system"
    assert_match "$(as_user $u probe unlink "$MNT/.system/metrics")" '^E' "uid $u: unlink a /.system file"
    assert_match "$(as_user $u probe rename "$MNT/.system/metrics" "$MNT/.system/m2")" '^E' "uid $u: rename"
    assert_match "$(as_user $u probe mkdir "$MNT/.system/d")" '^E' "uid $u: mkdir in /.system"
done
assert_eq "$(ls "$MNT/.system" | wc -l)" 11 "still eleven files"
umount_pinfs
