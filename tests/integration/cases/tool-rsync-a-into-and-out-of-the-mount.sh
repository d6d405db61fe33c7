# rsync -a (times, modes 0700/0600, owner 1000 as root), -rt and
# -rlptgoD --delete into a tenant, and rsync -a back out of the mount, all
# exit 0 and leave exactly the source's pins (rsync's temporaries
# included: none survive). rsync fchmod()s its own new temporary to 0600
# and sets directory times: both used to fail (exit 23).
command -v rsync >/dev/null || skip "rsync is not installed (scripts/install-deps.sh installs it)"
mount_pinfs
mkdir "$MNT/acme"
src=$CASE_DIR/src
mkdir -m 700 "$src"
for i in 1 2 3; do
    printf '{"n": %d}\n' "$i" >"$src/p$i.json"
done
chmod 600 "$src"/*.json
chown -R 1000:1000 "$src"
touch -d '2001-02-03 04:05:06' "$src"/*.json "$src"

step "rsync -a"
rsync -a "$src/" "$MNT/acme/" || fail "rsync -a exited $?"
tool_assert_pins 'acme|p1.json' 'acme|p2.json' 'acme|p3.json'
assert_eq "$(jq -c . "$MNT/acme/p2.json")" '{"n":2}' "p2 through the mount"

step "rsync -rt after a change"
printf '{"n": 22}\n' >"$src/p2.json"
touch -d '2002-02-03 04:05:06' "$src/p2.json"
rsync -rt "$src/" "$MNT/acme/" || fail "rsync -rt exited $?"
assert_eq "$(tool_value acme p2.json)" '{"n": 22}' "p2 after rsync -rt"

step "rsync -rlptgoD --delete"
echo '{"extra": 1}' >"$MNT/acme/extra"
rm "$src/p3.json"
rsync -rlptgoD --delete "$src/" "$MNT/acme/" || fail "rsync --delete exited $?"
tool_assert_pins 'acme|p1.json' 'acme|p2.json'

step "rsync -a back out of the mount"
rsync -a "$MNT/acme/" "$CASE_DIR/back/" || fail "rsync -a out exited $?"
assert_eq "$(cd "$CASE_DIR/back" && ls)" $'p1.json\np2.json' "files copied out"
cmp "$CASE_DIR/back/p2.json" "$MNT/acme/p2.json" || fail "p2.json differs from the pin"
tool_assert_pins 'acme|p1.json' 'acme|p2.json'
umount_pinfs
