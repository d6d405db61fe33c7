# With no "tokens" in the config, writing a token to /.system/credentials
# fails at close() with EOPNOTSUPP and binds nothing; reading it says tokens
# are disabled.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_hs_secret
rb_config
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
tok=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims alice admin acme)")
assert_eq "$(rb_cred 20001 "$tok")" "write=OK close=ENOTSUP" "close() (EOPNOTSUPP == ENOTSUP on Linux)"
assert_eq "$(as_user 20001 cat "$MNT/.system/credentials" | jq -c '{uid, tokens_enabled, bound}')" \
    '{"uid":20001,"tokens_enabled":false,"bound":false}' "credentials"
assert_eq "$(as_user 20001 probe stat "$MNT/acme/k")" EACCES "no access"
umount_pinfs
