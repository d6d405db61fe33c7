# The command lines of the installed units do what systemd expects of them
# (PID 1 here is no systemd, so this plays its part): pinfs@.service's
# ExecStartPre/ExecStart, with %i and %f expanded for a mount point, under a
# NOTIFY_SOCKET: READY=1 once mounted; ExecReload (kill -HUP $MAINPID)
# reloads (a STATUS= line); the stop signal (SIGTERM) ends it with status 0
# and no mount; ExecStopPost is harmless then. After a crash (SIGKILL, which
# Restart=on-failure restarts) auto_unmount and ExecStopPost leave the
# mount point clean and ExecStart mounts again. pinfs-expire.service's
# ExecStart deletes an expired pin and exits 0. Binaries are resolved by
# bare name, from the scratch "meson install" seen on /usr/local.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
ops_install
write_config
units="$OPS_ROOT$OPS_PREFIX/lib/systemd/system"

# The instance is the escaped mount point; its config is named after it.
instance=$(systemd-escape -p "$MNT")
assert_eq "$(systemd-escape -u -p "$instance")" "$MNT" "%f of pinfs@$instance.service"
cp "$CONFIG" "$CASE_DIR/$instance.json"
# Expand the specifiers the way systemd does, with /etc/pinfs/ -> CASE_DIR/.
expand()
{
    local line=$1
    line=${line//\/etc\/pinfs\//$CASE_DIR/}
    line=${line//%i/$instance}
    line=${line//%f/$MNT}
    printf '%s\n' "$line"
}
unit_cmd()
{
    sed -n "s/^$2=//p" "$units/$1" | head -n 1
}
OPS_START_PRE=$(expand "$(unit_cmd pinfs@.service ExecStartPre)")
OPS_START=$(expand "$(unit_cmd pinfs@.service ExecStart)")
OPS_RELOAD=$(unit_cmd pinfs@.service ExecReload)
OPS_STOP_POST=$(expand "$(unit_cmd pinfs@.service ExecStopPost)")
OPS_EXPIRE=$(expand "$(unit_cmd pinfs-expire.service ExecStart)")
export OPS_START_PRE OPS_START OPS_RELOAD OPS_STOP_POST OPS_EXPIRE
step "ExecStart: $OPS_START"
rmdir "$MNT"    # ExecStartPre makes it

cat >"$CASE_DIR/inner.sh" <<'INNER'
sock="$CASE_DIR/notify.sock"
notes="$CASE_DIR/notify.log"

# start: what systemd does for a Type=notify service; sets MAINPID.
start()
{
    local i ready
    ready=$(grep -c '^READY=1 ' "$notes" || true)
    bash -c "$OPS_START_PRE" || fail "ExecStartPre failed"
    # shellcheck disable=SC2086 # the unit's command line, split like systemd splits it
    NOTIFY_SOCKET=$sock env --default-signal $OPS_START </dev/null >>"$CASE_DIR/service.log" 2>&1 &
    MAINPID=$!
    ops_bg "$MAINPID"
    for ((i = 0; i < 300; i++)); do
        (($(grep -c '^READY=1 ' "$notes" || true) > ready)) && break
        sleep 0.05
    done
    (($(grep -c '^READY=1 ' "$notes" || true) > ready)) || fail "no READY=1 from ExecStart"
    assert_eq "$(grep '^READY=1 ' "$notes" | tail -n 1)" "READY=1 mounted=1 listed=1" "state at READY=1"
}

ops_notify_listen "$sock" "$notes"
step "start"
start
[[ "$(readlink "/proc/$MAINPID/exe")" == /usr/local/bin/pinfs ]] || fail "ExecStart did not run the installed pinfs"
mkdir "$MNT/acme"
echo '{"svc": 1}' >"$MNT/acme/k"

step "reload: $OPS_RELOAD"
bash -c "${OPS_RELOAD//\$MAINPID/$MAINPID}"
ops_wait_line "$notes" '^STATUS=reloaded ' 10 || fail "no STATUS= after ExecReload"
is_mounted "$MNT" || fail "reload unmounted"

step "stop: SIGTERM, exit 0, then ExecStopPost"
kill -TERM "$MAINPID"
rc=0
wait "$MAINPID" || rc=$?
assert_eq "$rc" 0 "main process exit status (systemd: success)"
grep -q '^STOPPING=1 mounted=1' "$notes" || fail "no STOPPING=1"
is_mounted "$MNT" && fail "still mounted after stop"
bash -c "${OPS_STOP_POST#-}" 2>/dev/null || true      # '-': its failure is ignored

step "crash: SIGKILL, ExecStopPost, restart"
start
kill -KILL "$MAINPID"
wait "$MAINPID" 2>/dev/null || true
bash -c "${OPS_STOP_POST#-}" 2>/dev/null || true
ops_wait_unmounted "$MNT" 10 || fail "the crashed service left its mount"
start
assert_eq "$(cat "$MNT/acme/k" | jq -c .)" '{"svc":1}' "pin after the restart"
kill -TERM "$MAINPID"
rc=0
wait "$MAINPID" || rc=$?
assert_eq "$rc" 0 "exit status after the restart's stop"

step "pinfs-expire.service: $OPS_EXPIRE"
pg_sql "INSERT INTO system.memory_pins (tenant_id, key, value, ttl_seconds, expires_at)
        VALUES ('acme', 'old', '1', 1, now() - interval '1 hour')"
out=$(bash -c "$OPS_EXPIRE")
echo "$out" >&2
assert_match "$out" ': 1 pin expired'$'\n''expired 1 pin on 1 backend$' "pinctl expire output"
assert_eq "$(pg_sql "SELECT string_agg(key, ' ') FROM system.memory_pins")" k "pins after expire"
true
INNER
ops_in_installed_ns "$CASE_DIR/inner.sh"
true
