# Plain rsync -X (no --inplace) writes a ".NAME.XXXXXX" temporary, sets the
# xattrs on it, and renames it onto the key: pinfs keeps such a temporary
# private (a scratch file, like sed's and Python's) and commits it, with its
# TTL and source, at the rename. No temporary is ever a pin.
command -v rsync >/dev/null || skip "rsync is not installed (scripts/install-deps.sh installs it)"
write_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/other"
src=$MNT/acme/src
echo '{"copy":"me"}' >"$src"
setfattr -n user.pin.ttl -v 3600 "$src"
setfattr -n user.pin.source -v importer "$src"
echo '{"old":true}' >"$MNT/other/existing"
ro_filters=(--filter='-x user.pin.id' --filter='-x user.pin.created_at'
    --filter='-x user.pin.updated_at' --filter='-x user.pin.expires_at' --filter='-x user.pin.version')
for dst in "$MNT/other/new" "$MNT/other/existing"; do
    step "rsync -X $src $dst"
    rsync -X "${ro_filters[@]}" "$src" "$dst" || fail "rsync -X to $dst exited $?"
    assert_eq "$(cat "$dst")" $'{\n  "copy": "me"\n}' "value of $dst"
    assert_eq "$(probe getxattr "$dst" user.pin.ttl)" "OK 3600" "ttl of $dst"
    assert_eq "$(probe getxattr "$dst" user.pin.source)" "OK importer" "source of $dst"
done
assert_eq "$(pg_sql "SELECT tenant_id || '/' || key || '|' || COALESCE(ttl_seconds::text, '-') || '|' || source
                     FROM system.memory_pins ORDER BY 1")" \
    $'acme/src|3600|importer\nother/existing|3600|importer\nother/new|3600|importer' "every pin, and nothing else"
umount_pinfs
