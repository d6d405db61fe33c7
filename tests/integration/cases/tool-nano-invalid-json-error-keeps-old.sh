# Saving an incomplete JSON document from nano (default settings, real
# terminal) fails: nano shows "[ Error writing FILE: Invalid argument ]"
# and keeps its buffer. The pin keeps its old value and no stray pin
# appears; nano then quits without saving.
u=10001
tool_write_config_policy $u acme
mount_pinfs
mkdir "$MNT/acme"
echo '{"keep":"me"}' >"$MNT/acme/cfg"

tool_tmux_start $u nanoinv "nano '$MNT/acme/cfg'"
tool_tmux_wait nanoinv '"keep": "me"'
# Cut the last line ("}"): a valid prefix, refused only by the fsync/close parse.
tool_tmux_keys nanoinv Down Down C-k
tool_tmux_keys nanoinv C-o
tool_tmux_wait nanoinv 'File Name to Write'
tool_tmux_keys nanoinv Enter
tool_tmux_wait nanoinv 'Error writing .*cfg: Invalid argument'
assert_eq "$(tool_value acme cfg)" '{"keep": "me"}' "stored value after the failed save"
tool_tmux_keys nanoinv C-x
tool_tmux_wait nanoinv 'Save modified buffer'
tool_tmux_keys nanoinv n
tool_tmux_wait_gone nanoinv

assert_eq "$(tool_value acme cfg)" '{"keep": "me"}' "stored value"
assert_content "$MNT/acme/cfg" <<'JSON'
{
  "keep": "me"
}
JSON
tool_assert_pins 'acme|cfg'
assert_eq "$(ls -A "$MNT/acme")" cfg "ls -A of the tenant"
umount_pinfs
