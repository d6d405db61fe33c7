# A config, policy or token key file that someone other than root (or the
# daemon's user) owns, or that its group or everyone may write, is refused
# with a message that says what to fix: at mount (pinfs exits non-zero,
# nothing mounted) and at reload (the last good policy stays).
refused_mount()   # refused_mount WHAT PATTERN
{
    local rc=0 out
    out=$(timeout 20 "$PINFS" "$CONFIG" "$MNT" -f -o allow_other 2>&1) || rc=$?
    [[ $rc -ne 0 ]] || fail "pinfs mounted with $1"
    is_mounted "$MNT" && fail "a mount was left with $1"
    assert_match "$out" "$2" "pinfs's message about $1"
}
mkdir -p "$MNT"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_hs_secret
chmod 600 "$RB_SECRET"
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"

step "config writable by everyone"
chmod 666 "$CONFIG"
refused_mount "a world-writable config" 'config file .* is writable by everyone: refusing it \(chmod go-w'
chmod 644 "$CONFIG"

step "config owned by another user"
chown 20001 "$CONFIG"
refused_mount "a config owned by uid 20001" 'config file .* is owned by uid 20001, not by root'
chown 0 "$CONFIG"

step "policy writable by its group"
chmod 664 "$RB_POLICY"
refused_mount "a group-writable policy" 'policy file .* is writable by its group'
chmod 644 "$RB_POLICY"

step "token secret owned by another user"
chown 20001 "$RB_SECRET"
refused_mount "a secret owned by uid 20001" 'secret file .* is owned by uid 20001'
chown 0 "$RB_SECRET"

step "the same files, fixed, mount"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
fails_before=$(grep -c . <(grep '^rbac_policy_loads_total{status="failure"}' "$MNT/.system/metrics" | awk '{print $2}' | grep -v '^0$') || true)

step "a policy made group-writable is refused at reload; the last good one stays"
version_before=$(jq -r .version "$MNT/.system/policy")
rb_policy '[{"uid": 0, "roles": ["readonly"], "tenants": ["*"]}]' true test-2
chmod 664 "$RB_POLICY"
kill -HUP "$PINFS_PID"
sleep 1
assert_eq "$(jq -r .version "$MNT/.system/policy")" "$version_before" "policy version after a refused reload"
echo '{"a":2}' >"$MNT/acme/k" || fail "root lost write access: the refused policy was applied"
assert_match "$(cat "$PINFS_LOG")" 'reload refused.*policy file .* is writable by its group' "the daemon's log"
assert_match "$(grep '^rbac_policy_loads_total{status="failure"}' "$MNT/.system/metrics")" ' [1-9][0-9]*$' "failed loads counted"
: "$fails_before"
umount_pinfs
