# cp -a from one pin to another carries user.pin.ttl and user.pin.source
# (quietly skipping the read-only attributes: exit 0, nothing on stderr):
# into a new key and over an existing one, within a tenant and from the
# PostgreSQL tenant to the SQLite one. The copy has its own id and
# created_at; the source pin is unchanged.
rt_pg_sqlite_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"
src=$MNT/acme/src
echo '{"copy":"me"}' >"$src"
setfattr -n user.pin.ttl -v 3600 "$src"
setfattr -n user.pin.source -v importer "$src"
src_id=$(getfattr --only-values --absolute-names -n user.pin.id "$src")
echo '{"old":true}' >"$MNT/acme/existing"
echo '{"old":true}' >"$MNT/lab/existing"
sleep 1.1 # so that a copied created_at would show

n=0
for dst in "$MNT/acme/new" "$MNT/acme/existing" "$MNT/lab/new" "$MNT/lab/existing"; do
    n=$((n + 1))
    t=$(basename "$(dirname "$dst")")
    key=$(basename "$dst")
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    step "cp -a $src $dst"
    err=$(cp -a "$src" "$dst" 2>&1) || fail "cp -a to $t/$key failed: $err"
    assert_eq "$err" "" "cp -a's stderr ($t/$key)"
    assert_eq "$(cat "$dst")" $'{\n  "copy": "me"\n}' "value of $t/$key"
    assert_eq "$(getfattr --only-values --absolute-names -n user.pin.ttl "$dst")" 3600 "ttl of $t/$key"
    assert_eq "$(getfattr --only-values --absolute-names -n user.pin.source "$dst")" importer "source of $t/$key"
    assert_eq "$(rt_db "$be" "SELECT ttl_seconds || '|' || source || '|' || CASE WHEN expires_at IS NULL THEN 'null' ELSE 'set' END
                              FROM @pins WHERE tenant_id = '$t' AND key = '$key'")" "3600|importer|set" "row of $t/$key"
    id=$(getfattr --only-values --absolute-names -n user.pin.id "$dst")
    [[ "$id" != "$src_id" ]] || fail "$t/$key has the source's id $id"
    assert_eq "$(stat -c %i "$dst")" "$id" "user.pin.id of $t/$key is its own (its st_ino)"
    if [[ "$key" == new ]]; then
        [[ "$(getfattr --only-values --absolute-names -n user.pin.created_at "$dst")" != \
            "$(getfattr --only-values --absolute-names -n user.pin.created_at "$src")" ]] ||
            fail "$t/$key got the source's created_at"
    fi
done
assert_eq "$(probe getxattr "$src" user.pin.ttl) $(probe getxattr "$src" user.pin.source)" "OK 3600 OK importer" "the source pin"
assert_eq "$(ls "$MNT/acme") | $(ls "$MNT/lab")" $'existing\nnew\nsrc | existing\nnew' "no stray files"
umount_pinfs
