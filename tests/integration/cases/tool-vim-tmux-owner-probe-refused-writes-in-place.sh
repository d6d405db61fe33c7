# Interactive vim (system vimrc + defaults.vim: nocompatible, backupcopy=auto)
# run by the pin's owner (root: pins are owned by the mounting uid) would
# save by renaming: it probes "4913" and tries to create "cfg~" and
# ".cfg.swp" in the tenant. pinfs refuses those names with EACCES, so vim
# keeps swap and backup in ~/tmp and writes the pin in place: the pin has
# the new value, no 4913/cfg~/.cfg.swp pin exists, and vim's home is clean.
mount_pinfs
mkdir "$MNT/acme"
echo '{"flag":false}' >"$MNT/acme/cfg"

tool_tmux_start 0 vimown "vim '$MNT/acme/cfg'"
tool_tmux_wait vimown '"flag": false'
tool_tmux_keys vimown ':%s/false/true/' Enter
tool_tmux_wait vimown '"flag": true'
tool_tmux_keys vimown ':wq' Enter
tool_tmux_wait_gone vimown

assert_eq "$(tool_value acme cfg)" '{"flag": true}' "stored value"
assert_content "$MNT/acme/cfg" <<'JSON'
{
  "flag": true
}
JSON
tool_assert_pins 'acme|cfg'
for name in 4913 cfg~ .cfg.swp .cfg.swx; do
    assert_eq "$(probe stat "$MNT/acme/$name")" ENOENT "stat $name"
done
assert_eq "$(ls -A "$MNT/acme")" cfg "ls -A of the tenant"
assert_eq "$(tool_home_files 0 | grep -v -x -E '\./(tmux\.sock|\.viminfo)' || true)" "" \
    "swap or backup file left in vim's home"
umount_pinfs
