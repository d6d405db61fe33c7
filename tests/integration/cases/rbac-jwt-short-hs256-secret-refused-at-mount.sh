# An HS256 secret shorter than 32 bytes is refused when the config loads:
# pinfs does not mount and says why. 32 bytes mounts.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_hs_secret "$RB_SECRET" 31
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
start_pinfs
wait_pinfs_exit 10 || fail "pinfs kept running with a 31-byte HS256 secret"
((PINFS_RC != 0)) || fail "pinfs exited 0 with a 31-byte HS256 secret"
is_mounted "$MNT" && fail "mounted with a 31-byte secret"
assert_match "$(cat "$PINFS_LOG")" '(secret|32)' "the message names the secret"

rb_hs_secret "$RB_SECRET" 32
mount_pinfs
assert_eq "$(cat "$MNT/.system/credentials" | jq -c .tokens_enabled)" true "32 bytes: tokens enabled"
umount_pinfs
