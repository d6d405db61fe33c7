# Names that are no key are refused with EINVAL and create nothing: invalid
# UTF-8, control characters (tab, newline, ESC, DEL), a '%' that is not
# %2F or %25. Editor names (.x, x~, 4913) are refused on create with EACCES.
# "." and ".." are never keys. The tools report the error.
mount_pinfs
mkdir "$MNT/acme"
t=$MNT/acme

for name in $'\xff' $'bad\xc3' $'\xc0\xaf' $'tab\there' $'new\nline' $'esc\e[0m' $'del\x7f' \
    'pct%zz' 'pct%2f' 'pct%'; do
    assert_eq "$(probe write-trunc "$t/$name" '1')" open=EINVAL "create $(printf '%q' "$name")"
    if err=$(bash -c 'echo 1 >"$1"' _ "$t/$name" 2>&1); then
        fail "echo > $(printf '%q' "$name") succeeded"
    fi
    assert_match "$err" 'Invalid argument' "bash's message for $(printf '%q' "$name")"
done
if err=$(cp /dev/null "$t/$(printf 'a\tb')" 2>&1); then
    fail "cp to a name with a tab succeeded"
fi
assert_match "$err" 'Invalid argument' "cp's message"
for name in .hidden 'backup~' 4913; do
    assert_eq "$(probe write-trunc "$t/$name" '1')" open=EACCES "create $name"
done
echo 1 >"$t/ok"
assert_eq "$(probe rename "$t/ok" "$t/$(printf 'x\001')")" EINVAL "rename onto a control character"
assert_eq "$(probe rename "$t/ok" "$t/.hidden")" EACCES "rename onto a refused editor name"
assert_match "$(probe write-trunc "$t/." '1')" '^open=(EISDIR|EINVAL|EEXIST)$' "write to ."
assert_match "$(probe write-trunc "$t/.." '1')" '^open=(EISDIR|EINVAL|EEXIST)$' "write to .."

assert_eq "$(ls -A "$t")" ok "ls -A of the tenant"
tool_assert_pins 'acme|ok'
umount_pinfs
