# nano with its default settings (Debian's /etc/nanorc: "set locking") on a
# real terminal (tmux), run by an ordinary uid: the lock file .cfg.swp is
# refused in the tenant (EACCES; nano says so and carries on), the edit is
# saved with ^O in place and nano quits with ^X. The pin has the new value,
# nano exited (the tmux session ended) and no lock file became a pin.
u=10001
tool_write_config_policy $u acme
mount_pinfs
mkdir "$MNT/acme"
echo '{"rpm":100}' >"$MNT/acme/cfg"

tool_tmux_start $u nanosave "nano '$MNT/acme/cfg'"
tool_tmux_wait nanosave '"rpm": 100'
# Replace line 2 ("  "rpm": 100") by a new one.
tool_tmux_keys nanosave Down C-k
tool_tmux_keys nanosave -l '  "rpm": 250, "burst": 7'
tool_tmux_keys nanosave Enter
tool_tmux_wait nanosave '"burst": 7'
assert_eq "$(tool_value acme cfg)" '{"rpm": 100}' "stored value before ^O"
tool_tmux_keys nanosave C-o
tool_tmux_wait nanosave 'File Name to Write'
tool_tmux_keys nanosave Enter
tool_tmux_wait nanosave 'Wrote 3 lines'
assert_eq "$(tool_value acme cfg)" '{"rpm": 250, "burst": 7}' "stored value after ^O"
tool_tmux_keys nanosave C-x
tool_tmux_wait_gone nanosave

assert_content "$MNT/acme/cfg" <<'JSON'
{
  "rpm": 250,
  "burst": 7
}
JSON
tool_assert_pins 'acme|cfg'
assert_eq "$(ls -A "$MNT/acme")" cfg "ls -A of the tenant"
assert_eq "$(probe stat "$MNT/acme/.cfg.swp")" ENOENT "nano's lock file"
umount_pinfs
