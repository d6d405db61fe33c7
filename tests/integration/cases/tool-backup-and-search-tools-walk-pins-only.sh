# Backup and search tools over the whole mount walk the pins and nothing
# else: /.system is reachable by name but not listed in the root, so
# tar -c, find -type f | xargs cat, cp -r, du and rsync -a all exit 0 and
# copy exactly the pins. Before, they walked into /.system, read its streams
# ("file changed as we read it") and failed on its write-only command files.
command -v rsync >/dev/null || skip "rsync is not installed (scripts/install-deps.sh installs it)"
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"a": 1}' >"$MNT/acme/one"
echo '[2]' >"$MNT/acme/two"
echo '"b"' >"$MNT/beta/only"
expected=$'./acme/one\n./acme/two\n./beta/only'

tar -C "$MNT" -cf "$CASE_DIR/all.tar" . || fail "tar -c exited $?"
assert_eq "$(tar -tf "$CASE_DIR/all.tar" | grep -v '/$' | sort)" "$expected" "tar -c members"

(cd "$MNT" && find . -type f | sort) >"$CASE_DIR/found"
assert_eq "$(cat "$CASE_DIR/found")" "$expected" "find -type f"
(cd "$MNT" && find . -type f -print0 | xargs -0 cat) >"$CASE_DIR/all.json" || fail "find | xargs cat exited $?"
assert_eq "$(jq -c . "$CASE_DIR/all.json" | tr '\n' ' ')" '{"a":1} [2] "b" ' "every pin's value"

cp -r "$MNT/." "$CASE_DIR/cp-backup/" || fail "cp -r exited $?"
assert_eq "$(cd "$CASE_DIR/cp-backup" && find . -type f | sort)" "$expected" "cp -r copies"
du -s "$MNT" >/dev/null || fail "du exited $?"
rsync -a "$MNT/" "$CASE_DIR/rsync-backup/" || fail "rsync -a exited $?"
assert_eq "$(cd "$CASE_DIR/rsync-backup" && find . -type f | sort)" "$expected" "rsync -a copies"
cmp "$CASE_DIR/rsync-backup/acme/one" "$MNT/acme/one" || fail "acme/one differs"

step "/.system is still there by name"
assert_eq "$(cat "$MNT/.system/health")" ok "cat /.system/health"
assert_eq "$(ls "$MNT/.system" | wc -l)" 11 "ls /.system"
umount_pinfs
