# Every systemd unit that "meson install" puts in PREFIX/lib/systemd/system
# passes "systemd-analyze verify" where it was installed, with the binaries
# its Exec lines name and the man pages its Documentation= names in place
# (a private mount namespace shows the scratch install on /usr/local): no
# error, no warning, no output at all. The template is verified as
# pinfs@pins.service and pinfs@srv-pins.service too. The check is shown
# to fail on a mount unit named unlike its Where= and on a unit whose
# command is missing. The units say what the docs promise.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
command -v systemd-analyze >/dev/null || skip "systemd-analyze is missing (Debian: systemd)"

ops_install
units="$OPS_ROOT$OPS_PREFIX/lib/systemd/system"
step "the units promise what the docs say"
grep -qx 'Type=fuse.pinfs' "$units/pins.mount" || fail "pins.mount: Type="
grep -qx 'Where=/pins' "$units/pins.mount" || fail "pins.mount: Where="
grep -qx 'What=/etc/pinfs/pinfs.json' "$units/pins.mount" || fail "pins.mount: What="
assert_match "$(grep '^Options=' "$units/pins.mount")" '_netdev.*nodev|nodev.*_netdev' "pins.mount Options="
assert_match "$(grep '^After=' "$units/pins.mount")" 'postgresql.service' "pins.mount After="
grep -qx 'Type=notify' "$units/pinfs@.service" || fail "pinfs@.service: Type="
assert_match "$(grep '^ExecStart=' "$units/pinfs@.service")" '^ExecStart=pinfs /etc/pinfs/%i.json %f -f -o .*auto_unmount' "pinfs@.service ExecStart="
assert_match "$(grep '^ExecReload=' "$units/pinfs@.service")" 'kill -HUP \$MAINPID' "pinfs@.service ExecReload="
grep -qx 'Restart=on-failure' "$units/pinfs@.service" || fail "pinfs@.service: Restart="
assert_match "$(grep '^ExecStart=' "$units/pinfs-expire.service")" 'pinctl .*expire$' "pinfs-expire.service ExecStart="
grep -qx 'OnCalendar=hourly' "$units/pinfs-expire.timer" || fail "pinfs-expire.timer: OnCalendar="
if grep -Eq '^(PrivateTmp|ProtectSystem|ProtectHome|PrivateMounts)=' "$units/pinfs@.service"; then
    fail "pinfs@.service must not get its own mount namespace (its mount would be invisible)"
fi

cat >"$CASE_DIR/inner.sh" <<'INNER'
cd /usr/local/lib/systemd/system
man_opt=--man=yes
if ! command -v man >/dev/null; then
    man_opt=--man=no
    echo "note: man is not installed, Documentation= is not checked" >&2
fi

verify()
{
    local out rc=0
    out=$(systemd-analyze verify "$man_opt" "$@" 2>&1) || rc=$?
    printf '%s\n' "$out" >"$CASE_DIR/verify.out"
    [[ $rc == 0 && -z "$out" ]]
}

for u in pins.mount pinfs@.service pinfs@pins.service pinfs@srv-pins.service \
    pinfs-expire.service pinfs-expire.timer; do
    step "systemd-analyze verify $u"
    verify "$u" || fail "systemd-analyze verify $u: $(cat "$CASE_DIR/verify.out")"
done
verify pins.mount pinfs@.service pinfs-expire.service pinfs-expire.timer ||
    fail "systemd-analyze verify of all units: $(cat "$CASE_DIR/verify.out")"

step "the check can fail: a mount unit named unlike its Where="
mkdir -p "$CASE_DIR/bad"
cp pins.mount "$CASE_DIR/bad/mnt-pins.mount"
verify "$CASE_DIR/bad/mnt-pins.mount" && fail "verify passed a mount unit whose name does not match Where="
assert_match "$(cat "$CASE_DIR/verify.out")" "Where= setting doesn't match unit name" "verify's complaint"

step "the check can fail: a command that is not installed"
sed 's/^ExecStart=pinfs /ExecStart=pinfs-not-installed /' pinfs@.service >"$CASE_DIR/bad/pinfs-bad@.service"
verify "$CASE_DIR/bad/pinfs-bad@.service" && fail "verify passed a unit whose command is missing"
assert_match "$(cat "$CASE_DIR/verify.out")" "pinfs-not-installed" "verify's complaint"
true
INNER
ops_in_installed_ns "$CASE_DIR/inner.sh"
true
