# Besides inotify, SIGHUP and a write to /.system/reload reload the policy.
# The configured policy path is a symlink into a directory the daemon does
# not watch, so editing the target is seen only through these two. Writing
# /.system/reload needs policy:write.
mkdir -p "$CASE_DIR/real" "$RB_POLICY_DIR"
ln -s "$CASE_DIR/real/rbac.json" "$RB_POLICY"
write_real() # VERSION TENANTS_JSON
{
    rb_policy_text "[{\"uid\": 0, \"roles\": [\"infra\"], \"tenants\": [\"*\"]},
                     {\"uid\": 20001, \"roles\": [\"dev\"], \"tenants\": $2},
                     {\"uid\": 20002, \"roles\": [\"admin\"], \"tenants\": [\"acme\"]}]" true "$1" \
        >"$CASE_DIR/real/rbac.json"
}
write_real v1 '["acme"]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"b":1}' >"$MNT/beta/k"
u=20001
version() { jq -r .version "$MNT/.system/policy"; }

step "an edit of the target alone changes nothing"
write_real v2 '["acme", "beta"]'
sleep 2.5
assert_eq "$(version)" v1 "no reload without a signal (the target's directory is not watched)"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" EACCES "beta still hidden"

step "SIGHUP"
kill -HUP "$PINFS_PID"
assert_eq "$(rb_poll 2 v2 version)" v2 "version after SIGHUP"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" "OK 13" "beta after SIGHUP"
rb_daemon_alive || fail "SIGHUP stopped the daemon"

step "/.system/reload"
write_real v3 '["acme"]'
assert_eq "$(as_user $u probe open-w "$MNT/.system/reload")" EACCES "dev may not reload"
assert_eq "$(as_user 20003 probe open-w "$MNT/.system/reload")" EACCES "an unbound uid may not reload"
assert_eq "$(version)" v2 "nothing reloaded by the refused opens"
assert_eq "$(as_user 20002 probe write-trunc "$MNT/.system/reload" 1)" "write=OK close=OK" "admin reloads"
assert_eq "$(version)" v3 "version right after the reload's close()"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" EACCES "beta revoked by the reload"
write_real v4 '["beta"]'
assert_eq "$(probe write-trunc "$MNT/.system/reload" 1)" "write=OK close=OK" "root (infra) reloads"
assert_eq "$(version)" v4 "version v4"
assert_eq "$(as_user $u ls "$MNT")" beta "ls / with v4"
umount_pinfs
