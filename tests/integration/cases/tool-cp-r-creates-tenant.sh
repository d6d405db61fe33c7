# cp -r DIR/ MOUNT/ creates tenant DIR (a tenants row) holding one pin per
# file; copying the directory again over the existing tenant replaces the
# values. Only those pins exist afterwards.
mount_pinfs
mkdir -p newtenant
echo '{"a":1}' >newtenant/alpha
echo '[1,2,3]' >newtenant/beta
echo '"text"' >"newtenant/with space"

cp -r newtenant/ "$MNT/"
assert_eq "$(pg_sql "SELECT name FROM system.tenants")" newtenant "tenant row"
assert_eq "$(ls "$MNT/newtenant")" $'alpha\nbeta\nwith space' "ls of the new tenant"
assert_eq "$(tool_value newtenant alpha)" '{"a": 1}' "alpha"
assert_eq "$(tool_value newtenant beta)" '[1, 2, 3]' "beta"
assert_eq "$(tool_value newtenant 'with space')" '"text"' "with space"
tool_assert_pins 'newtenant|alpha' 'newtenant|beta' 'newtenant|with space'

echo '{"a":2}' >newtenant/alpha
cp -r newtenant/. "$MNT/newtenant/"
assert_eq "$(tool_value newtenant alpha)" '{"a": 2}' "alpha after the second cp -r"
tool_assert_pins 'newtenant|alpha' 'newtenant|beta' 'newtenant|with space'
umount_pinfs
