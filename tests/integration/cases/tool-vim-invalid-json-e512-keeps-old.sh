# Saving an incomplete JSON document from interactive vim (default settings,
# real terminal) fails: fsync and close answer EINVAL and vim shows
# "E512: Close failed". The pin keeps its old value, no stray pin appears,
# and vim can still quit.
u=10001
tool_write_config_policy $u acme
mount_pinfs
mkdir "$MNT/acme"
echo '{"keep":"me"}' >"$MNT/acme/cfg"

tool_tmux_start $u viminv "vim '$MNT/acme/cfg'"
tool_tmux_wait viminv '"keep": "me"'
# Delete the last line ("}"): what is left is a valid prefix, so every
# write() succeeds and only the fsync/close parse refuses it.
tool_tmux_keys viminv 'G' 'dd'
tool_tmux_keys viminv ':w' Enter
tool_tmux_wait viminv 'E512: Close failed'
assert_eq "$(tool_value acme cfg)" '{"keep": "me"}' "stored value after the failed :w"
tool_tmux_keys viminv ':q!' Enter
tool_tmux_wait_gone viminv

assert_eq "$(tool_value acme cfg)" '{"keep": "me"}' "stored value"
assert_content "$MNT/acme/cfg" <<'JSON'
{
  "keep": "me"
}
JSON
tool_assert_pins 'acme|cfg'
assert_eq "$(ls -A "$MNT/acme")" cfg "ls -A of the tenant"
umount_pinfs
