# rsync -X --inplace from one pin to another carries user.pin.ttl and
# user.pin.source, into a new key and over an existing one, within a
# tenant and from PostgreSQL to SQLite; the copy keeps its own id. rsync
# cannot set the read-only attributes (ENOTSUP), so it reports them and
# exits 23 unless told to leave them out with xattr filters: with those
# it exits 0. (Without --inplace, see ttl-rsync-x-temporary-carries-ttl-and-source.)
command -v rsync >/dev/null || skip "rsync is not installed (scripts/install-deps.sh installs it)"
rt_pg_sqlite_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"
src=$MNT/acme/src
echo '{"copy":"me"}' >"$src"
setfattr -n user.pin.ttl -v 3600 "$src"
setfattr -n user.pin.source -v importer "$src"
echo '{"old":true}' >"$MNT/acme/existing"
echo '{"old":true}' >"$MNT/lab/existing"
ro_filters=(--filter='-x user.pin.id' --filter='-x user.pin.created_at'
    --filter='-x user.pin.updated_at' --filter='-x user.pin.expires_at' --filter='-x user.pin.version')

check_copy()
{
    local dst=$1 t key be id
    t=$(basename "$(dirname "$dst")")
    key=$(basename "$dst")
    be=pg
    [[ $t == lab ]] && be=$RT_SQLITE
    assert_eq "$(cat "$dst")" $'{\n  "copy": "me"\n}' "value of $t/$key"
    assert_eq "$(probe getxattr "$dst" user.pin.ttl)" "OK 3600" "ttl of $t/$key"
    assert_eq "$(probe getxattr "$dst" user.pin.source)" "OK importer" "source of $t/$key"
    assert_eq "$(rt_db "$be" "SELECT ttl_seconds || '|' || source FROM @pins WHERE tenant_id = '$t' AND key = '$key'")" \
        "3600|importer" "row of $t/$key"
    id=$(getfattr --only-values --absolute-names -n user.pin.id "$dst")
    [[ "$id" != "$(getfattr --only-values --absolute-names -n user.pin.id "$src")" ]] ||
        fail "$t/$key has the source's id $id"
    assert_eq "$(stat -c %i "$dst")" "$id" "user.pin.id of $t/$key is its own (its st_ino)"
}

for dst in "$MNT/acme/new" "$MNT/acme/existing"; do
    step "rsync -X --inplace $src $dst"
    rc=0
    rsync -X --inplace "$src" "$dst" 2>"$CASE_DIR/rsync.err" || rc=$?
    step "rsync exit status $rc; stderr: $(paste -sd ' ' "$CASE_DIR/rsync.err")"
    assert_match "$rc" '^(0|23)$' "rsync's exit status (23: the read-only attributes were not set)"
    if grep -v -E 'user\.pin\.(id|created_at|updated_at|expires_at|version)|some files/attrs were not transferred' "$CASE_DIR/rsync.err"; then
        fail "rsync reported errors other than the read-only attributes"
    fi
    check_copy "$dst"
done

for dst in "$MNT/lab/new" "$MNT/lab/existing"; do
    step "rsync -X --inplace with filters for the read-only attributes: $src $dst"
    err=$(rsync -X --inplace "${ro_filters[@]}" "$src" "$dst" 2>&1) || fail "rsync with xattr filters failed: $err"
    assert_eq "$err" "" "rsync's stderr with xattr filters"
    check_copy "$dst"
done
assert_eq "$(ls "$MNT/acme") | $(ls "$MNT/lab")" $'existing\nnew\nsrc | existing\nnew' "no stray files"
assert_eq "$(probe getxattr "$src" user.pin.ttl) $(probe getxattr "$src" user.pin.source)" "OK 3600 OK importer" "the source pin"
umount_pinfs
