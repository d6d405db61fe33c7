# Interactive vim with the system vimrc and defaults.vim (no -u, no -E), on
# a real terminal (tmux), run by an ordinary uid: open a pin, change it,
# :wq. The pin has the new value, vim exited (the tmux session ended), no
# stray pin exists and no swap or backup file is left in vim's home.
u=10001
tool_write_config_policy $u acme
mount_pinfs
mkdir "$MNT/acme"
echo '{"mode":"old","n":1}' >"$MNT/acme/cfg"

tool_tmux_start $u vimsave "vim '$MNT/acme/cfg'"
tool_tmux_wait vimsave '"mode": "old"'
tool_tmux_keys vimsave ':%s/old/new/' Enter
tool_tmux_wait vimsave '"mode": "new"'
# The change is only in vim's buffer until :w.
assert_eq "$(tool_value acme cfg)" '{"n": 1, "mode": "old"}' "stored value before :w"
tool_tmux_keys vimsave ':wq' Enter
tool_tmux_wait_gone vimsave

assert_eq "$(tool_value acme cfg)" '{"n": 1, "mode": "new"}' "stored value"
assert_content "$MNT/acme/cfg" <<'JSON'
{
  "n": 1,
  "mode": "new"
}
JSON
tool_assert_pins 'acme|cfg'
assert_eq "$(ls -A "$MNT/acme")" cfg "ls -A of the tenant"
assert_eq "$(tool_home_files $u | grep -v -x -E '\./(tmux\.sock|\.viminfo)' || true)" "" \
    "swap or backup file left in vim's home"
umount_pinfs
