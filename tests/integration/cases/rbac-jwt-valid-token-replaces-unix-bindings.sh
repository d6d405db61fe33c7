# A verified token written to /.system/credentials binds to the writer's uid:
# its roles and tenants replace the uid's Unix bindings while it is valid, a
# {"sub": ...} binding adds to it, audit rows carry its subject (as
# "token:SUB", never to be mistaken for a uid), and an empty
# write unbinds it (the Unix bindings apply again).
rb_policy '[
  {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
  {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
  {"sub": "ci-bot", "roles": ["machine"], "tenants": ["lab-*"]}]'
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
for t in acme beta lab-1; do
    mkdir "$MNT/$t"
    echo '{"t":0}' >"$MNT/$t/k"
done

u=20001
step "before: the Unix binding (dev on acme)"
assert_eq "$(as_user $u ls "$MNT")" acme "ls / before"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" EACCES "beta before"
assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c '{bound, tokens_enabled}')" \
    '{"bound":false,"tokens_enabled":true}' "credentials before"

step "bind a pinctl-minted token (alice: machine on beta)"
tok=$(rb_mint alice machine beta 600)
assert_eq "$(rb_cred $u "$tok")" "write=OK close=OK" "binding"
cred=$(as_user $u cat "$MNT/.system/credentials")
assert_eq "$(jq -c '{uid, bound, subject, roles, tenants}' <<<"$cred")" \
    '{"uid":20001,"bound":true,"subject":"alice","roles":["machine"],"tenants":["beta"]}' "credentials"
assert_match "$(jq -r .expires_at <<<"$cred")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "expires_at"
assert_eq "$(as_user $u cat "$MNT/.system/whoami" | jq -r .subject)" token:alice "whoami subject"
assert_eq "$(as_user $u ls "$MNT")" beta "ls / with the token"
assert_eq "$(as_user $u probe stat "$MNT/acme/k")" EACCES "acme: the Unix binding is replaced"
assert_eq "$(as_user $u probe write-trunc "$MNT/beta/k" '{"t":1}')" "write=OK close=OK" "write beta"
assert_eq "$(as_user $u probe unlink "$MNT/beta/k")" EACCES "machine cannot delete"
assert_eq "$(rb_poll 2 "token:alice 20001" pg_sql "SELECT subject || ' ' || uid FROM system.memory_audit
    WHERE operation = 'upsert' AND tenant_id = 'beta' AND uid = $u")" "token:alice 20001" "audit row subject"
# root's own view is untouched
assert_eq "$(ls "$MNT" | tr '\n' ' ')" "acme beta lab-1 " "root's ls /"

step "a sub binding adds to the token's claims"
tok=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims ci-bot readonly beta)")
assert_eq "$(rb_cred 20002 "$tok")" "write=OK close=OK" "ci-bot binding"
assert_eq "$(as_user 20002 ls "$MNT" | tr '\n' ' ')" "beta lab-1 " "ci-bot ls /"
assert_eq "$(as_user 20002 probe open-r "$MNT/beta/k")" OK "ci-bot reads beta (token)"
assert_eq "$(as_user 20002 probe write-trunc "$MNT/beta/k" '{"t":2}')" open=EACCES "ci-bot cannot write beta"
assert_eq "$(as_user 20002 probe write-trunc "$MNT/lab-1/k" '{"t":2}')" "write=OK close=OK" \
    "ci-bot writes lab-1 (sub binding)"
assert_eq "$(as_user 20003 probe stat "$MNT/lab-1/k")" EACCES "a sub binding never matches a plain uid"

step "unbind with an empty write"
assert_eq "$(rb_cred $u $'\n')" "write=OK close=OK" "unbinding"
assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "credentials after unbinding"
assert_eq "$(as_user $u ls "$MNT")" acme "ls / after unbinding"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" EACCES "beta after unbinding"
assert_eq "$(as_user $u probe open-r "$MNT/acme/k")" OK "acme after unbinding"
assert_eq "$(as_user $u cat "$MNT/.system/whoami" | jq -r .subject)" uid:20001 "whoami after unbinding"
umount_pinfs
