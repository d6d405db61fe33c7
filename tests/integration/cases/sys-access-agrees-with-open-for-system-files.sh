# access(2) (test -r / test -w) on a /.system file answers what open would:
# a read-only file is not writable, a file the caller may not read is not
# readable, and a file anyone may read is readable by a uid bound to
# nothing. (Root is left out: root passes access checks on any Unix file.)
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]},
            {"uid": 20005, "roles": ["infra"], "tenants": ["*"]}]'
rb_config
mount_pinfs

check() # UID FILE r|w: access must equal open
{
    local u=$1 f=$2 how=$3 open_res acc
    if [[ $how == r ]]; then
        open_res=$(as_user "$u" probe open-r "$MNT/.system/$f")
    else
        open_res=$(as_user "$u" probe open-w "$MNT/.system/$f")
    fi
    acc=$(as_user "$u" probe access "$MNT/.system/$f" "$how")
    if [[ "$acc" != "$open_res" ]]; then
        mismatches+=("uid $u: access($f, $how)=$acc but open for $how=$open_res")
    fi
}
mismatches=()
step "each combination: access answers what open answers"
for u in 20001 20005 20009; do
    for f in metrics audit events policy routes whoami health credentials locks; do
        check $u $f r
    done
    for f in metrics audit events policy routes whoami health reload expire locks; do
        check $u $f w
    done
done
if ((${#mismatches[@]})); then
    printf '  %s\n' "${mismatches[@]}" >&2
    fail "${#mismatches[@]} access() answers disagree with open()"
fi
umount_pinfs
