# Keys with spaces, UTF-8, '/' (%2F) and '%' (%25) work with the everyday
# tools: echo >, cp, mv, sed -i, cat, ls, find, rm. The database holds the
# decoded keys, ls shows the encoded names, and nothing else is created.
mount_pinfs
mkdir "$MNT/acme"
t=$MNT/acme

echo '{"n":1}' >"$t/with space"
cp "$t/with space" "$t/ünïcödé ✓ 日本"
echo '"path"' >"$t/config%2Frate%2Flimits"
echo '50' >"$t/100%25 sure"
echo '"tmp"' >"$t/mixed %2F ü %25"
mv "$t/mixed %2F ü %25" "$t/renamed %25 ü %2F x"
sed -i 's/50/75/' "$t/100%25 sure"

assert_eq "$(cat "$t/ünïcödé ✓ 日本")" $'{\n  "n": 1\n}' "cat of the UTF-8 key"
assert_eq "$(cat "$t/100%25 sure")" 75 "cat after sed -i"
assert_eq "$(LC_ALL=C.UTF-8 ls "$t" | LC_ALL=C sort)" \
    "$(printf '%s\n' '100%25 sure' 'config%2Frate%2Flimits' 'renamed %25 ü %2F x' 'with space' 'ünïcödé ✓ 日本' |
        LC_ALL=C sort)" "ls names"
assert_eq "$(find "$t" -type f -name '*%2F*' | sort)" \
    "$t/config%2Frate%2Flimits"$'\n'"$t/renamed %25 ü %2F x" "find -name"
assert_eq "$(pg_sql "SELECT key FROM system.memory_pins ORDER BY key COLLATE \"C\"")" \
    "$(printf '%s\n' '100% sure' 'config/rate/limits' 'renamed % ü / x' 'with space' 'ünïcödé ✓ 日本' |
        LC_ALL=C sort)" "stored keys"
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'config/rate/limits'")" \
    '"path"' "value of config/rate/limits"

rm "$t/with space" "$t/config%2Frate%2Flimits"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 3 "rows after rm"
assert_eq "$(pg_sql "SELECT string_agg(tenant_id, ',') FROM (SELECT DISTINCT tenant_id FROM system.memory_pins) t")" acme "tenants of the rows"
umount_pinfs
