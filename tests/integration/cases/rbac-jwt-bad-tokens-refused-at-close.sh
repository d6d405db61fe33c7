# Tokens that must not verify: a forged or tampered signature, expired, not
# yet valid, issued in the future, the wrong audience or issuer, no exp, a
# string exp, "alg": "none" (with and without a signature), and a switch to
# HS512 with the right secret. Each write's close() fails with EACCES, the
# uid stays unbound, and its access does not change. A malformed token
# fails too. A valid token then binds (the setup itself is right).
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_hs_secret
rb_hs_secret "$CASE_DIR/other.secret"
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
u=20001
now=$(date +%s)

claims=$(rb_claims mallory admin acme)
good=$(rb_jwt HS256 "$RB_SECRET" '{}' "$claims")
payload_evil=$(rb_claims mallory admin '*' | python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(sys.stdin.read().strip().encode()).rstrip(b"=").decode())')
IFS=. read -r h _ s <<<"$good"

declare -A bad=(
    [forged-signature]=$(rb_jwt HS256 "$CASE_DIR/other.secret" '{}' "$claims")
    [tampered-payload]="$h.$payload_evil.$s"
    [expired]=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims mallory admin acme "{\"exp\": $((now - 300)), \"iat\": $((now - 900))}")")
    [not-yet-valid]=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims mallory admin acme "{\"nbf\": $((now + 300))}")")
    [iat-in-future]=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims mallory admin acme "{\"iat\": $((now + 300))}")")
    [wrong-audience]=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims mallory admin acme '{"aud": "not-pinfs"}')")
    [wrong-issuer]=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims mallory admin acme '{"iss": "https://evil.test"}')")
    [no-exp]=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims mallory admin acme '{"exp": null}')")
    [string-exp]=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims mallory admin acme "{\"exp\": \"$((now + 600))\"}")")
    [alg-none]=$(rb_jwt none "" '{}' "$claims")
    [alg-none-with-signature]="$(rb_jwt none "" '{}' "$claims")$s"
    [alg-switch-hs512]=$(rb_jwt HS512 "$RB_SECRET" '{}' "$claims")
)
for name in $(printf '%s\n' "${!bad[@]}" | sort); do
    step "$name"
    assert_eq "$(rb_cred $u "${bad[$name]}")" "write=OK close=EACCES" "$name: close()"
    assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "$name: still unbound"
    assert_eq "$(as_user $u probe stat "$MNT/acme/k")" EACCES "$name: still no access"
    assert_eq "$(as_user $u probe readdir "$MNT")" "OK 0" "$name: ls / shows no tenant"
done

step "malformed tokens"
for t in not-a-token 'a.b.c' "$h.." "$h"; do
    out=$(rb_cred $u "$t")
    assert_match "$out" '^write=OK close=E' "malformed token '$t' refused"
    assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "still unbound after '$t'"
done

step "the valid token binds"
assert_eq "$(rb_cred $u "$good")" "write=OK close=OK" "valid token"
assert_eq "$(as_user $u probe stat "$MNT/acme/k")" "OK 13" "access with the valid token"
assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -r .subject)" mallory "subject"
rb_daemon_alive || fail "the daemon died"
umount_pinfs
