# "pinctl policy check" prints every warning of a policy, one line each, in
# file order, on stderr (not the first and "and 2 more warnings"), still
# accepts the file (exit 0, the ok line on stdout), and a broken file still
# fails with the field named. The daemon's one-line message points at it.
pol=$CASE_DIR/policy.json
cat >"$pol" <<'JSON'
{"version": "w.1", "enforce": true,
 "roles": {"dev": {"memory_pin": ["read"]}},
 "bindings": [
   {"user": "pinfs-it-no-such-user-a", "roles": ["dev"], "tenants": ["a"]},
   {"uid": 0, "roles": ["dev"], "tenants": ["*"]},
   {"group": "pinfs-it-no-such-group-b", "roles": ["dev"], "tenants": ["b"]},
   {"user": "pinfs-it-no-such-user-c", "roles": ["dev"], "tenants": ["c"]}]}
JSON
chmod 0644 "$pol"
rc=0
"$PINCTL" policy check "$pol" >"$CASE_DIR/out" 2>"$CASE_DIR/err" || rc=$?
assert_eq "$rc" 0 "exit status with warnings"
assert_match "$(cat "$CASE_DIR/out")" "^$pol: ok \\(version w.1, hash [0-9a-f]{16}, 1 role, 4 bindings, enforce\\)$" "stdout"
assert_eq "$(cat "$CASE_DIR/err")" \
    "pinctl: warning: $pol: bindings[0].user: unknown user \"pinfs-it-no-such-user-a\", the binding never matches
pinctl: warning: $pol: bindings[2].group: unknown group \"pinfs-it-no-such-group-b\", the binding never matches
pinctl: warning: $pol: bindings[3].user: unknown user \"pinfs-it-no-such-user-c\", the binding never matches" \
    "every warning on stderr"

step "the daemon logs one line that says where to see them all"
cat >"$CONFIG" <<JSON
{"mode": "saas", "policy": "$pol",
 "routes": [{"tenant": "*", "backend": "postgresql:///$CASE_DB?host=$PIT_PG_SOCK"}]}
JSON
mount_pinfs
umount_pinfs
assert_match "$(cat "$PINFS_LOG")" "bindings\\[0\\]\\.user: unknown user \"pinfs-it-no-such-user-a\", the binding never matches \\(and 2 more warnings: \"pinctl policy check $pol\" lists them all\\)" "the daemon's warning"

step "a broken file still fails naming the field"
sed -i 's/"roles": \["dev"\], "tenants": \["c"\]/"roles": "dev", "tenants": ["c"]/' "$pol"
rc=0
err=$("$PINCTL" policy check "$pol" 2>&1 >/dev/null) || rc=$?
assert_eq "$rc" 1 "exit status of a broken file"
assert_match "$err" 'bindings\[3\]\.roles' "the broken field is named"
