# After a plain "meson install" (default prefix /usr/local, here into a
# scratch DESTDIR seen on /usr/local in a private mount namespace),
# "mount -t fuse.pinfs CONFIG DIR -o <the Options= of the shipped
# pins.mount>" works from a caller whose PATH lacks /usr/local/bin (mount(8)
# and mount.fuse3 find the helper on their own search path): mount returns
# once the pins are served by a daemonized, installed pinfs; the mount has
# the options the unit promises; umount ends the daemon. A database that
# needs "pinctl migrate up" makes mount itself fail with that message, and
# leaves nothing mounted. Everything meson installs is where the docs say.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
command -v mount.fuse3 >/dev/null || [[ -x /sbin/mount.fuse3 ]] || skip "mount.fuse3 is missing (Debian: fuse3)"

ops_install
step "meson install put every file where the docs say"
for f in bin/pinfs bin/pinctl \
    share/man/man8/pinfs.8 share/man/man8/pinctl.8 share/man/man5/pinfs.json.5 \
    lib/systemd/system/pins.mount lib/systemd/system/pinfs@.service \
    lib/systemd/system/pinfs-expire.service lib/systemd/system/pinfs-expire.timer \
    share/pinfs/policies/rbac_policies.json \
    share/doc/pinfs/examples/memory_pins_seed.json share/doc/pinfs/examples/seed/global/budget \
    share/doc/pinfs/examples/pinfs-sqlite.json share/doc/pinfs/examples/pinfs-postgres.json \
    share/doc/pinfs/examples/pinfs-primary-standby.json share/doc/pinfs/examples/pinfs-mixed.json \
    share/doc/pinfs/examples/prometheus/pinfs.rules.yml \
    share/doc/pinfs/examples/grafana/pinfs-dashboard.json; do
    [[ -f "$OPS_ROOT$OPS_PREFIX/$f" ]] || fail "meson install did not install $OPS_PREFIX/$f"
done
[[ -x "$OPS_ROOT$OPS_PREFIX/bin/pinfs" ]] || fail "installed pinfs is not executable"

step "the installed man pages name this install's paths; the config is /etc/pinfs's"
for page in share/man/man8/pinfs.8 share/man/man8/pinctl.8 share/man/man5/pinfs.json.5; do
    if grep -n '@[A-Z_]*@' "$OPS_ROOT$OPS_PREFIX/$page"; then
        fail "$page has an unfilled placeholder"
    fi
done
grep -qF -- "--file $OPS_PREFIX/share/doc/pinfs/examples/memory_pins_seed.json" \
    <(sed 's/\\-/-/g' "$OPS_ROOT$OPS_PREFIX/share/man/man8/pinctl.8") ||
    fail "pinctl(8)'s example does not name $OPS_PREFIX/share/doc/pinfs/examples"
grep -qF "$OPS_PREFIX/share/pinfs/policies/rbac_policies.json" "$OPS_ROOT$OPS_PREFIX/share/man/man8/pinfs.8" ||
    fail "pinfs(8) does not name $OPS_PREFIX/share/pinfs/policies"
grep -qF "$OPS_PREFIX/lib/systemd/system" "$OPS_ROOT$OPS_PREFIX/share/man/man8/pinfs.8" ||
    fail "pinfs(8) does not name the unit directory"
assert_match "$("$OPS_ROOT$OPS_PREFIX/bin/pinctl" --help)" 'default /etc/pinfs/pinfs\.json if it exists' \
    "the installed pinctl's default config"

# The options come from the installed unit, so the test follows the unit.
opts=$(sed -n 's/^Options=//p' "$OPS_ROOT$OPS_PREFIX/lib/systemd/system/pins.mount")
assert_match "$opts" '(^|,)_netdev(,|$)' "pins.mount Options="
assert_match "$opts" '(^|,)nodev(,|$)' "pins.mount Options="
assert_match "$opts" '(^|,)nosuid(,|$)' "pins.mount Options="
assert_match "$opts" '(^|,)auto_unmount(,|$)' "pins.mount Options="
export OPS_OPTS=$opts
write_config
use_empty_db_config() {
    pg_admin "CREATE DATABASE \"${CASE_DB}_empty\" TEMPLATE template0"
    cat >"$CASE_DIR/empty.json" <<EOF
{"mode": "saas", "routes": [{"tenant": "*", "backend": "postgresql:///${CASE_DB}_empty?host=$PIT_PG_SOCK"}]}
EOF
}
ops_at_exit "pg_admin 'DROP DATABASE IF EXISTS \"${CASE_DB}_empty\"' >/dev/null 2>&1"
use_empty_db_config

cat >"$CASE_DIR/inner.sh" <<'INNER'
# Runs in the private mount namespace: /usr/local is the installed tree.
[[ "$(command -v pinfs)" == /usr/local/bin/pinfs ]] || fail "pinfs is not /usr/local/bin/pinfs in the namespace"

step "mount -t fuse.pinfs with a PATH that lacks /usr/local/bin"
rc=0
out=$(env -i PATH=/usr/bin:/bin LC_ALL=C timeout 30 mount -t fuse.pinfs "$CONFIG" "$MNT" -o "$OPS_OPTS" 2>&1) || rc=$?
[[ $rc == 0 ]] || fail "mount -t fuse.pinfs exited $rc: $out"
is_mounted "$MNT" || fail "mount returned 0 but $MNT is not mounted"

step "the mount: type, source and options"
line=$(awk -v d="$MNT" '$5 == d' /proc/self/mountinfo)
echo "mountinfo: $line" >&2
fstype=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1); exit } }' <<<"$line")
source=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 2); exit } }' <<<"$line")
assert_eq "$fstype" fuse.pinfs "file system type"
assert_eq "$source" "$CONFIG" "mount source"
mnt_opts=$(awk '{ print $6 }' <<<"$line")
for o in nodev nosuid noexec; do
    assert_match "$mnt_opts" "(^|,)$o(,|$)" "per-mount options"
done
assert_match "$line" 'allow_other' "super options"

step "the daemon is the installed binary, detached from mount"
pids=$(ops_pids_of_exe /usr/local/bin/pinfs "$MNT")
[[ $(wc -w <<<"$pids") == 1 ]] || fail "expected one installed pinfs serving $MNT, found: '$pids'"
echo "$pids" >"$CASE_DIR/daemon.pid"
args=$(tr '\0' ' ' <"/proc/$pids/cmdline")
echo "daemon argv: $args" >&2
assert_match "$args" "^pinfs $CONFIG $MNT -o " "argv shape from mount.fuse3"

step "the pins are served"
mkdir "$MNT/acme"
echo '{"installed": true}' >"$MNT/acme/k"
assert_content "$MNT/acme/k" <<'JSON'
{
  "installed": true
}
JSON
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'k'")" \
    '{"installed": true}' "row in PostgreSQL"

step "umount ends the daemon"
umount "$MNT"
ops_wait_gone "$pids" 10 || fail "pinfs (pid $pids) still runs 10 s after umount"
is_mounted "$MNT" && fail "$MNT still mounted after umount"

step "a database that needs migrating fails mount itself, with the fix in the message"
rc=0
out=$(env -i PATH=/usr/bin:/bin LC_ALL=C timeout 30 mount -t fuse.pinfs "$CASE_DIR/empty.json" "$MNT" -o "$OPS_OPTS" 2>&1) || rc=$?
echo "mount said: $out" >&2
[[ $rc != 0 ]] || fail "mount of an unmigrated database exited 0"
[[ $rc != 124 ]] || fail "mount of an unmigrated database hung"
assert_match "$out" 'pinctl migrate up' "mount's error message"
is_mounted "$MNT" && fail "a failed mount left $MNT mounted"
[[ -z "$(ops_pids_of_exe /usr/local/bin/pinfs "$MNT")" ]] || fail "a failed mount left pinfs running"
true
INNER
ops_in_installed_ns "$CASE_DIR/inner.sh"
assert_eq "$(ops_ns_pids)" "" "processes left in the namespace"
is_mounted "$MNT" && fail "the namespace's mount leaked to the host"
true
