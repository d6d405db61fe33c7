# An RS256 config accepts a token signed with the RSA private key and refuses
# algorithm confusion: an HS256 token whose HMAC key is the RSA public key
# PEM (the exact bytes the verifier holds, or without the final newline), an
# ES256 token, "alg": "none", and an RS256 token from another key pair.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CASE_DIR/rsa.key" 2>/dev/null
openssl pkey -in "$CASE_DIR/rsa.key" -pubout -out "$CASE_DIR/rsa.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CASE_DIR/rsa-other.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CASE_DIR/ec.key" 2>/dev/null
head -c -1 "$CASE_DIR/rsa.pub" >"$CASE_DIR/rsa.pub.nonl"

rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_config "" "$(rb_tokens_json RS256 "$CASE_DIR/rsa.pub")"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
u=20001
claims=$(rb_claims mallory admin acme)

declare -A bad=(
    [hs256-keyed-with-public-pem]=$(rb_jwt HS256-raw "$CASE_DIR/rsa.pub" '{}' "$claims")
    [hs256-keyed-with-public-pem-no-newline]=$(rb_jwt HS256-raw "$CASE_DIR/rsa.pub.nonl" '{}' "$claims")
    [alg-none]=$(rb_jwt none "" '{}' "$claims")
    [rs256-other-key]=$(rb_mint mallory admin acme 600 --algorithm RS256 --key "$CASE_DIR/rsa-other.key")
    [es256]=$(rb_mint mallory admin acme 600 --algorithm ES256 --key "$CASE_DIR/ec.key")
)
for name in $(printf '%s\n' "${!bad[@]}" | sort); do
    step "$name"
    [[ -n "${bad[$name]}" ]] || fail "$name: could not make the token"
    assert_eq "$(rb_cred $u "${bad[$name]}")" "write=OK close=EACCES" "$name: close()"
    assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "$name: still unbound"
    assert_eq "$(as_user $u probe stat "$MNT/acme/k")" EACCES "$name: still no access"
done

step "a real RS256 token binds"
good=$(rb_mint alice admin acme 600 --algorithm RS256 --key "$CASE_DIR/rsa.key")
assert_eq "$(python3 -c 'import base64,json,sys; h=sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["alg"])' "$good")" \
    RS256 "pinctl signed RS256"
assert_eq "$(rb_cred $u "$good")" "write=OK close=OK" "valid RS256 token"
assert_eq "$(as_user $u probe stat "$MNT/acme/k")" "OK 13" "access with it"
umount_pinfs
