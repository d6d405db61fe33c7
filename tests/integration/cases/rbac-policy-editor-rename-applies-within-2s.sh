# The policy file is watched: an editor-style save (write a temporary file
# in the same directory, rename it over the policy) applies within 2 s, for
# a new grant and for a revocation (kernel caches included), and
# /.system/policy and the metrics show the new version and hash (SHA-256 of
# the file's bytes, first 16 hex). An in-place rewrite applies too.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]' true test-1
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a":1}' >"$MNT/acme/k"
echo '{"b":1}' >"$MNT/beta/k"
u=20001

policy_doc() { cat "$MNT/.system/policy"; }
hash_of() { sha256sum "$RB_POLICY" | cut -c1-16; }

step "initial policy"
doc=$(policy_doc)
assert_eq "$(jq -c '{version, hash, enforce}' <<<"$doc")" \
    "{\"version\":\"test-1\",\"hash\":\"$(hash_of)\",\"enforce\":true}" "/.system/policy"
assert_match "$(jq -r .loaded_at <<<"$doc")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}' "loaded_at"
assert_eq "$(jq -c '.policy.bindings | length' <<<"$doc")" 2 "the effective policy is shown"
assert_eq "$(as_user $u probe stat "$MNT/beta/k")" EACCES "beta before"
# root warms the caches of beta/k
stat "$MNT/beta/k" >/dev/null
cat "$MNT/beta/k" >/dev/null
ok_before=$(rb_metric 'rbac_policy_loads_total{status="success"}')

step "grant beta by an editor-style save"
rb_policy_save '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["dev"], "tenants": ["acme", "beta"]}]' true test-2
t0=$(date +%s%N)
assert_eq "$(rb_poll 2 "OK 13" as_user $u probe stat "$MNT/beta/k")" "OK 13" "beta within 2 s of the save"
step "applied after $((($(date +%s%N) - t0) / 1000000)) ms"
assert_eq "$(as_user $u ls "$MNT" | tr '\n' ' ')" "acme beta " "ls / after the grant"
assert_eq "$(policy_doc | jq -c '{version, hash}')" "{\"version\":\"test-2\",\"hash\":\"$(hash_of)\"}" \
    "/.system/policy after the save"
assert_eq "$(rb_metric "rbac_policy_version_info{version=\"test-2\",hash=\"$(hash_of)\"}")" 1 "version info"
assert_eq "$(grep -c '^rbac_policy_version_info{' "$MNT/.system/metrics")" 1 "one version info sample"
assert_eq "$(rb_metric 'rbac_policy_loads_total{status="success"}')" $((ok_before + 1)) "one successful load"

step "revoke beta by an editor-style save"
# uid 20001 has just read beta/k: its entries are in the kernel's caches
as_user $u cat "$MNT/beta/k" >/dev/null
rb_policy_save '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]' true test-3
assert_eq "$(rb_poll 2 EACCES as_user $u probe stat "$MNT/beta/k")" EACCES "beta revoked within 2 s"
assert_eq "$(as_user $u probe open-r "$MNT/beta/k")" EACCES "open after the revocation"
assert_eq "$(as_user $u probe readdir "$MNT/beta")" EACCES "readdir after the revocation"
assert_eq "$(as_user $u ls "$MNT")" acme "ls / after the revocation"
assert_eq "$(policy_doc | jq -r .version)" test-3 "version after the revocation"

step "an in-place rewrite applies too"
rb_policy_text '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["admin"], "tenants": ["acme"]}]' true test-4 >"$RB_POLICY"
assert_eq "$(rb_poll 2 OK as_user $u probe unlink "$MNT/acme/k")" OK "admin's unlink within 2 s"
assert_eq "$(policy_doc | jq -c '{version, hash}')" "{\"version\":\"test-4\",\"hash\":\"$(hash_of)\"}" \
    "/.system/policy after the rewrite"
umount_pinfs
