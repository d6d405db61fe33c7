# A config with no route: modes saas, enterprise and system refuse to mount
# (non-zero exit, a message that names the missing route table, nothing
# mounted); lab mounts, warns, and answers ENXIO for every tenant.
for mode in saas enterprise system; do
    for shape in empty-array no-key; do
        if [[ $shape == empty-array ]]; then
            printf '{"mode": "%s", "routes": []}\n' "$mode" >"$CONFIG"
        else
            printf '{"mode": "%s"}\n' "$mode" >"$CONFIG"
        fi
        step "mode $mode, routes: $shape"
        start_pinfs
        wait_pinfs_exit 20 || fail "pinfs in mode $mode with no routes ($shape) is still running"
        ((PINFS_RC != 0)) || fail "pinfs exited 0 in mode $mode with no routes ($shape)"
        if is_mounted "$MNT"; then
            fail "$MNT is mounted although pinfs refused to start (mode $mode, $shape)"
        fi
        grep -i -E 'route' "$PINFS_LOG" >/dev/null || {
            cat -- "$PINFS_LOG" >&2
            fail "pinfs's message (mode $mode, $shape) does not name the missing routes"
        }
    done
done

step "mode lab with no routes mounts and warns"
printf '{"mode": "lab", "routes": []}\n' >"$CONFIG"
mount_pinfs
grep -i -E 'warn' "$PINFS_LOG" | grep -i -E 'route' >/dev/null || {
    cat -- "$PINFS_LOG" >&2
    fail "lab mode with no routes did not warn about it"
}
assert_eq "$(ls "$MNT")" "" "ls / with no routes"
assert_eq "$(probe mkdir "$MNT/acme")" ENXIO "mkdir with no routes"
assert_eq "$(probe stat "$MNT/acme/k")" ENXIO "stat with no routes"
assert_eq "$(probe write-trunc "$MNT/acme/k" '{}')" open=ENXIO "write with no routes"
umount_pinfs
# Nothing went anywhere.
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins") $(pg_sql "SELECT count(*) FROM system.tenants")" "0 0" "rows"
