# A bound token holds only until it expires (plus at most the 30 s clock
# leeway): then its grants are gone, the uid's Unix bindings apply again,
# and /.system/credentials shows it unbound.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]'
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"b":1}' >"$MNT/beta/k"
u=20001
start=$(date +%s)
assert_eq "$(rb_cred $u "$(rb_mint alice admin beta 4)")" "write=OK close=OK" "bind a 4 s token"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" "OK 13" "beta while valid"
# exp = start + 4 (pinctl's iat is at or after start); leeway at most 30 s
deadline=$((start + 4 + 30 + 2 - $(date +%s)))
assert_eq "$(rb_poll $deadline EACCES as_user $u probe stat "$MNT/beta/k")" EACCES "beta after expiry"
step "expired after $(($(date +%s) - start)) s"
assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "credentials after expiry"
assert_eq "$(as_user $u cat "$MNT/.system/whoami" | jq -c '{subject, token_expires_at}')" \
    '{"subject":"uid:20001","token_expires_at":null}' "whoami after expiry"
assert_eq "$(as_user $u ls "$MNT")" acme "the Unix binding applies again"
assert_eq "$(rb_cred $u "$(rb_mint alice admin beta 4)")" "write=OK close=OK" "a fresh token binds again"
umount_pinfs
