# vim -Es (Ex silent mode reads no vimrc, so vim runs with its built-in
# vi-compatible defaults: swapfile, writebackup, backupcopy=yes), run by an
# ordinary uid, edits a pin and saves it: pinfs refuses .limits.swp and
# limits~ in the tenant (EACCES), so vim keeps both in ~/tmp and writes the
# pin in place. The pin has the new value, the database holds no other pin
# and vim removed its swap and backup files from its home.
u=10001
tool_write_config_policy $u acme
mount_pinfs
mkdir "$MNT/acme"
echo '{"rpm":100,"burst":5}' >"$MNT/acme/limits"
echo '["other"]' >"$MNT/acme/other"

tool_as_user $u vim -Es "$MNT/acme/limits" <<'VIM' || fail "vim -Es exited $?"
%s/100/250/
wq
VIM
assert_content "$MNT/acme/limits" <<'JSON'
{
  "rpm": 250,
  "burst": 5
}
JSON
assert_eq "$(tool_value acme limits)" '{"rpm": 250, "burst": 5}' "stored value"
assert_eq "$(pg_sql "SELECT source FROM system.memory_pins WHERE key = 'limits'")" fs "source"
tool_assert_pins 'acme|limits' 'acme|other'
assert_eq "$(ls -A "$MNT/acme")" $'limits\nother' "ls -A of the tenant"
assert_eq "$(tool_home_files $u)" "" "swap or backup file left in vim's home"
umount_pinfs
