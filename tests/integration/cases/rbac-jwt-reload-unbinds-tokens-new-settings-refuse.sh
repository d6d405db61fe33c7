# Key changes revoke: a reload drops every bound token that the new token
# settings would not verify (a rotated secret, another audience, issuer or
# algorithm, or "tokens" removed from the config), at once and for every
# operation, and keeps those that still verify (the same settings, or an
# audience the token also names). A token signed with the old secret no
# longer binds.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_hs_secret
tokens() # [ALG] [ISSUER] [AUDIENCE]: the "tokens" object with $RB_SECRET
{
    rb_tokens_json "${1:-HS256}" "$RB_SECRET" "${2:-$RB_ISSUER}" "${3:-$RB_AUDIENCE}"
}
set_config() # TOKENS_JSON|null: replaces the config in one rename (the daemon reloads it)
{
    local real=$CONFIG
    CONFIG=$CASE_DIR/next.json
    rb_config "" "$1"
    CONFIG=$real
    mv -f -- "$CASE_DIR/next.json" "$CONFIG"
}
state() # UID: "bound/tokens_enabled stat-of-acme/k"
{
    printf '%s %s\n' "$(as_user "$1" cat "$MNT/.system/credentials" | jq -r '"\(.bound)/\(.tokens_enabled)"')" \
        "$(as_user "$1" probe stat "$MNT/acme/k")"
}
set_config "$(tokens)"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
a=20001 b=20002 c=20003

step "the same settings again keep every binding"
assert_eq "$(rb_cred $a "$(rb_mint alice admin acme 600)")" "write=OK close=OK" "A binds"
assert_eq "$(state $a)" "true/true OK 13" "A before"
rt_hup_and_settle
assert_eq "$(state $a)" "true/true OK 13" "A after a reload that changes nothing"

step "a rotated secret unbinds the tokens signed with the old one"
cp -p "$RB_SECRET" "$CASE_DIR/old.secret"
old_tok=$(rb_jwt HS256 "$CASE_DIR/old.secret" '{}' "$(rb_claims mallory admin acme)")
rb_hs_secret
rt_hup_and_settle
assert_eq "$(state $a)" "false/true EACCES" "A after the rotation"
assert_eq "$(as_user $a probe write-trunc "$MNT/acme/k" '{"a":2}')" open=EACCES "A's write after the rotation"
assert_match "$(cat "$PINFS_LOG")" 'token settings changed: 1 bound token no longer verifies, unbound' "the daemon's log"
assert_eq "$(rb_cred $a "$old_tok")" "write=OK close=EACCES" "a token signed with the old secret"
assert_eq "$(rb_cred $a "$(rb_mint alice admin acme 600)")" "write=OK close=OK" "A binds with the new secret"
assert_eq "$(state $a)" "true/true OK 13" "A bound again"

step "another audience: kept if the token names it too, dropped if not"
tok_b=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims bob admin acme '{"aud": ["pinfs", "pinfs-2"]}')")
assert_eq "$(rb_cred $b "$tok_b")" "write=OK close=OK" "B binds (audiences pinfs and pinfs-2)"
set_config "$(tokens HS256 "$RB_ISSUER" pinfs-2)"
assert_eq "$(rb_poll 3 "false/true EACCES" state $a)" "false/true EACCES" "A (audience pinfs) after the change"
assert_eq "$(state $b)" "true/true OK 13" "B (also pinfs-2) after the change"

step "another issuer"
set_config "$(tokens HS256 https://other.issuer pinfs-2)"
assert_eq "$(rb_poll 3 "false/true EACCES" state $b)" "false/true EACCES" "B after the issuer changed"

step "another algorithm"
rb_hs_secret "$RB_SECRET" 64
set_config "$(tokens HS256)"
rt_hup_and_settle    # the secret changed too: make sure it is read
assert_eq "$(rb_cred $c "$(rb_mint carol admin acme 600)")" "write=OK close=OK" "C binds an HS256 token"
set_config "$(tokens HS512)"
assert_eq "$(rb_poll 3 "false/true EACCES" state $c)" "false/true EACCES" "C after HS256 became HS512"

step "tokens removed from the config"
assert_eq "$(rb_cred $c "$(rb_mint carol admin acme 600)")" "write=OK close=OK" "C binds an HS512 token"
assert_eq "$(state $c)" "true/true OK 13" "C bound"
set_config null
assert_eq "$(rb_poll 3 "false/false EACCES" state $c)" "false/false EACCES" "C after tokens were removed"
assert_eq "$(as_user $c cat "$MNT/.system/whoami" | jq -c '{subject, token_expires_at}')" \
    '{"subject":"uid:20003","token_expires_at":null}' "C's whoami"
umount_pinfs
