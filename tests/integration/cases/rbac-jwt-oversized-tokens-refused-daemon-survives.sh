# Tokens over 8 KiB are refused before libjwt sees them: a correctly signed
# 9 KiB and 60 KiB token fail at close() with E2BIG, a 4 MiB one fails too,
# and the daemon stays up and keeps verifying (libjwt 1.10 alloca()s the
# token's length and crashes on multi-megabyte tokens).
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
u=20001

signed_with_pad() # BYTES: a correctly signed token padded with a claim
{
    rb_claims big admin acme | jq -c --rawfile pad <(head -c "$1" /dev/zero | tr '\0' a) \
        '. + {pad: $pad}' >"$CASE_DIR/claims.json"
    rb_jwt HS256 "$RB_SECRET" '{}' "@$CASE_DIR/claims.json"
}

step "just under the cap binds"
t=$(signed_with_pad 5600)
((${#t} > 7000 && ${#t} <= 8192)) || fail "test token is ${#t} bytes"
assert_eq "$(rb_cred $u "$t")" "write=OK close=OK" "a ${#t}-byte token"
assert_eq "$(rb_cred $u $'\n')" "write=OK close=OK" "unbind"

step "9 KiB and 60 KiB"
for pad in 6700 44000; do
    signed_with_pad $pad >"$CASE_DIR/tok"
    size=$(($(wc -c <"$CASE_DIR/tok") - 1))
    ((size > 8192 && size < 65536)) || fail "test token is $size bytes"
    assert_eq "$(rb_cred $u - <"$CASE_DIR/tok")" "write=OK close=E2BIG" "a $size-byte signed token"
    assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "unbound after $size bytes"
    assert_eq "$(as_user $u probe stat "$MNT/acme/k")" EACCES "no access after $size bytes"
done

step "4 MiB"
{ printf 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.'; head -c 4194304 /dev/zero | tr '\0' A; printf '.c2ln'; } >"$CASE_DIR/huge"
out=$(rb_cred $u - <"$CASE_DIR/huge")
assert_match "$out" '^(write=EFBIG|write=E2BIG|write=OK close=E2BIG|write=OK close=EACCES)' "4 MiB token refused"
step "4 MiB token: $out"
rb_daemon_alive || fail "the daemon died on a 4 MiB token"
out=$(signed_with_pad 4194304 | rb_cred $u -)
assert_match "$out" '^(write=EFBIG|write=E2BIG|write=OK close=E2BIG)' "signed 4 MiB token refused"
rb_daemon_alive || fail "the daemon died on a signed 4 MiB token"
assert_eq "$(cat "$MNT/.system/health")" ok "health after the big tokens"
assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "unbound after 4 MiB"

step "still verifying"
assert_eq "$(rb_cred $u "$(rb_mint alice admin acme 600)")" "write=OK close=OK" "valid token afterwards"
assert_eq "$(as_user $u probe stat "$MNT/acme/k")" "OK 13" "access afterwards"
umount_pinfs
