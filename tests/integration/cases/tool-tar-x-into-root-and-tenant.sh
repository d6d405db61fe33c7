# tar -x of an archive made with tar -c from a directory tree: directories
# of JSON files become tenants at the mount root, and an archive of JSON
# files with its "./" entry extracts into a tenant. tar as root restores
# owners (1000), modes (directories 0700, files 0600) and times: all of it
# is accepted (nothing of it is stored), tar exits 0 and every pin is in
# place. Before: exit 2 ("Cannot utime", "Cannot change ownership",
# "Cannot change mode"), and the "./" entry at the root broke the mount.
mount_pinfs
tree=$CASE_DIR/tree
mkdir -p -m 700 "$tree/alpha" "$tree/beta"
echo '{"a": 1}' >"$tree/alpha/one.json"
echo '[1, 2]' >"$tree/alpha/two.json"
echo '"b"' >"$tree/beta/only.json"
chmod 600 "$tree"/*/*.json
chown -R 1000:1000 "$tree"
touch -d '2001-02-03 04:05:06' "$tree"/*/*.json "$tree"/* "$tree"
tar -C "$tree" -cf "$CASE_DIR/tenants.tar" .
tar -C "$tree/alpha" -cf "$CASE_DIR/pins.tar" .
tar -tf "$CASE_DIR/tenants.tar" | grep -qx './' || fail "the archive has no ./ entry"

step "tar -x into the root: new tenants"
tar -C "$MNT" -xf "$CASE_DIR/tenants.tar" || fail "tar -x into the root exited $?"
tool_assert_pins 'alpha|one.json' 'alpha|two.json' 'beta|only.json'
assert_eq "$(cat "$MNT/.system/health")" ok "the mount after tar"
assert_eq "$(ls "$MNT")" $'alpha\nbeta' "tenants"

step "tar -x into a tenant"
mkdir "$MNT/gamma"
tar -C "$MNT/gamma" -xf "$CASE_DIR/pins.tar" || fail "tar -x into a tenant exited $?"
tool_assert_pins 'alpha|one.json' 'alpha|two.json' 'beta|only.json' 'gamma|one.json' 'gamma|two.json'
assert_eq "$(tool_value gamma two.json)" '[1, 2]' "gamma/two.json"
assert_eq "$(stat -c '%a %u' "$MNT/gamma" "$MNT/gamma/one.json" | tr '\n' ' ')" "755 0 644 0 " \
    "what is shown stays"
umount_pinfs
