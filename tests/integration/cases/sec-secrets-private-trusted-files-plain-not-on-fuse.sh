# Secrets, keys, policy and config files must be private and plain:
# - a JWT secret_file or a route's password_file that its group or everyone
#   may read, or that the config names through a symbolic link, is refused
#   at mount with a message that says what to chmod (nothing mounted), and
#   at reload (the last good config stays: tokens still verify);
# - a FIFO at the config's or the policy's path is refused at once instead
#   of blocking: the mount fails fast, a reload by inotify, SIGHUP or
#   /.system/reload answers (close() gets EINVAL), a good policy saved next
#   applies, and the daemon still exits on unmount;
# - a policy symlinked to a pin on a FUSE mount (this very mount: pins
#   show root, 0644) is refused: the grant it holds never applies.
refused_mount() # refused_mount WHAT PATTERN [CONFIG]
{
    local rc=0 out
    out=$(timeout 10 "$PINFS" "${3:-$CONFIG}" "$MNT" -f -o allow_other 2>&1) || rc=$?
    [[ $rc -ne 0 && $rc -ne 124 ]] || fail "pinfs mounted (or hung: status $rc) with $1"
    is_mounted "$MNT" && fail "a mount was left with $1"
    assert_match "$out" "$2" "pinfs's message about $1"
}
mkdir -p "$MNT"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["readonly"], "tenants": ["acme"]}]' true good-1
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
cp "$CONFIG" "$CASE_DIR/good.json"

step "a secret its group or everyone may read, at mount"
chmod 640 "$RB_SECRET"
refused_mount "a group-readable secret" "secret file \"$RB_SECRET\" is readable by its group: refusing it \\(chmod go-rwx"
chmod 604 "$RB_SECRET"
refused_mount "a world-readable secret" 'secret file .* is readable by everyone: refusing it \(chmod go-rwx'
chmod 600 "$RB_SECRET"

step "a secret named through a symbolic link, at mount"
ln -s "$RB_SECRET" "$CASE_DIR/jwt-link.secret"
jq --arg f "$CASE_DIR/jwt-link.secret" '.tokens.secret_file = $f' "$CASE_DIR/good.json" >"$CONFIG"
refused_mount "a symlinked secret" 'secret file .* is a symbolic link: refusing it'

step "a password file everyone may read, at mount"
printf '*:*:*:*:nothing\n' >"$CASE_DIR/pgpass"
chmod 644 "$CASE_DIR/pgpass"
jq --arg f "$CASE_DIR/pgpass" '.routes[0].password_file = $f' "$CASE_DIR/good.json" >"$CONFIG"
refused_mount "a world-readable password file" 'password file .* is readable by everyone: refusing it \(chmod go-rwx'
chmod 600 "$CASE_DIR/pgpass"

step "a FIFO as the config or the policy, at mount"
mkfifo "$CASE_DIR/fifo.json"
t0=$(rt_now_ms)
refused_mount "a FIFO as the config" 'config file .* is not a regular file' "$CASE_DIR/fifo.json"
mv "$RB_POLICY" "$RB_POLICY.good"
mkfifo "$RB_POLICY"
cp "$CASE_DIR/good.json" "$CONFIG"
refused_mount "a FIFO as the policy" 'policy file .* is not a regular file'
step "both refused in $(($(rt_now_ms) - t0)) ms"
rm -f "$RB_POLICY" "$CASE_DIR/fifo.json"
mv "$RB_POLICY.good" "$RB_POLICY"

step "the same files, fixed, mount"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
tok=$(rb_mint alice admin acme 600)
assert_eq "$(rb_cred 20002 "$tok")" "write=OK close=OK" "a token binds"
version() { jq -r .version "$MNT/.system/policy"; }

step "a secret made readable by its group is refused at reload; tokens still verify"
chmod 640 "$RB_SECRET"
kill -HUP "$PINFS_PID"
assert_match "$(rb_poll_match 3 'reload refused.*secret file .* is readable by its group' cat "$PINFS_LOG")" \
    'reload refused.*secret file .* is readable by its group' "the daemon's log"
assert_eq "$(as_user 20002 probe write-trunc "$MNT/acme/t" '{"t":1}')" "write=OK close=OK" "the bound token still works"
assert_eq "$(rb_cred 20003 "$tok")" "write=OK close=OK" "a token still binds after the refused reload"
chmod 600 "$RB_SECRET"

step "a FIFO saved over the policy: the reload is refused, never blocks"
fails=$(rb_metric 'rbac_policy_loads_total{status="failure"}')
mkfifo "$RB_POLICY_DIR/.fifo"
mv -f "$RB_POLICY_DIR/.fifo" "$RB_POLICY"
assert_eq "$(rb_poll 3 $((fails + 1)) rb_metric 'rbac_policy_loads_total{status="failure"}')" $((fails + 1)) \
    "the inotify reload is refused and counted"
assert_eq "$(timeout 5 "$PROBE" write-trunc "$MNT/.system/reload" 1 || echo "status $?")" "write=OK close=EINVAL" \
    "/.system/reload answers, refused"
kill -HUP "$PINFS_PID"
assert_match "$(rb_poll_match 3 'reload refused.*policy file .* is not a regular file' cat "$PINFS_LOG")" \
    'reload refused.*policy file .* is not a regular file' "the daemon's log"
assert_eq "$(version)" good-1 "the last good policy stays"
rb_policy_save '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["readonly"], "tenants": ["acme"]}]' true good-2
assert_eq "$(rb_poll 3 good-2 version)" good-2 "a good policy saved after the FIFO applies"

step "a policy symlinked to a pin on this mount is refused"
rb_policy_text '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["infra"], "tenants": ["*"]}]' true from-a-pin >"$MNT/acme/policy"
stat -c '%U %a' "$MNT/acme/policy" >"$CASE_DIR/pin-owner"
assert_eq "$(cat "$CASE_DIR/pin-owner")" "root 644" "the pin looks like a root-owned policy"
ln -s "$MNT/acme/policy" "$RB_POLICY_DIR/.link"
mv -f "$RB_POLICY_DIR/.link" "$RB_POLICY"
kill -HUP "$PINFS_PID"
assert_match "$(rb_poll_match 3 'reload refused.*policy file .* is on a FUSE file system' cat "$PINFS_LOG")" \
    'reload refused.*policy file .* is on a FUSE file system' "the daemon's log"
assert_eq "$(version)" good-2 "the last good policy stays"
assert_eq "$(as_user 20001 probe write-trunc "$MNT/acme/k" '{"a":2}')" open=EACCES "the pin's grant never applied"
assert_eq "$(as_user 20001 probe stat "$MNT/beta")" EACCES "nor its scope"
rm -f "$RB_POLICY"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]' true good-3
assert_eq "$(rb_poll 3 good-3 version)" good-3 "a regular policy file applies again"
umount_pinfs
