# A database that requires a password: the route's password_file (a libpq
# password file, mode 0600) lets pinfs and pinctl in, and the password never
# shows in any process's argv (ps), in /proc/self/mountinfo, in the
# daemon's environment or log, or in /.system/routes and /.system/health.
# Without password_file the same config is refused, so the password really
# is what got it in.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"

role="ops_pw_${CASE_DB}"
secret="S3cret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
hba="$PIT_WORK/pg/data/pg_hba.conf"
[[ -w "$hba" ]] || skip "cannot edit the test cluster's pg_hba.conf"

# Only this role, on this case's database, must give a password: every
# other connection of the run keeps "trust".
cp -p "$hba" "$CASE_DIR/pg_hba.conf.orig"
ops_at_exit "cp -p '$CASE_DIR/pg_hba.conf.orig' '$hba'; pg_admin 'SELECT pg_reload_conf()' >/dev/null; pg_admin 'DROP ROLE IF EXISTS \"$role\"' >/dev/null 2>&1"
{
    echo "local $CASE_DB $role scram-sha-256"
    cat "$CASE_DIR/pg_hba.conf.orig"
} >"$hba"
pg_admin "CREATE ROLE \"$role\" LOGIN SUPERUSER PASSWORD '$secret'" >/dev/null
pg_admin "SELECT pg_reload_conf()" >/dev/null
sleep 0.2

printf '*:*:%s:%s:%s\n' "$CASE_DB" "$role" "$secret" >"$CASE_DIR/pgpass"
chmod 600 "$CASE_DIR/pgpass"
uri="postgresql://$role@/$CASE_DB?host=$PIT_PG_SOCK"
cat >"$CASE_DIR/nopass.json" <<EOF
{"mode": "saas", "routes": [{"tenant": "*", "backend": "$uri"}]}
EOF
cat >"$CONFIG" <<EOF
{"mode": "saas", "routes": [{"tenant": "*", "backend": "$uri", "password_file": "$CASE_DIR/pgpass"}]}
EOF
# No ~/.pgpass or PGPASSFILE may help: only the config's password_file.
export HOME=$CASE_DIR
unset PGPASSFILE PGPASSWORD

step "without password_file the database refuses pinfs and pinctl"
rc=0
out=$(timeout 30 "$PINFS" "$CASE_DIR/nopass.json" "$MNT" -f 2>&1) || rc=$?
assert_eq "$rc" 1 "exit status of pinfs without a password"
assert_match "$out" 'password' "pinfs's message without a password"
is_mounted "$MNT" && fail "mounted without a password"
rc=0
"$PINCTL" --config "$CASE_DIR/nopass.json" migrate status >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 1 "exit status of pinctl without a password"

step "with password_file: pinctl and pinfs get in"
"$PINCTL" --config "$CONFIG" seed --file "$PIT_SRC/examples/memory_pins_seed.json" --verify >&2
mount_pinfs -o auto_unmount
echo '{"who": "pw"}' >"$MNT/global/pw_test"
assert_eq "$(pg_sql "SELECT value->>'who' FROM system.memory_pins WHERE key = 'pw_test'")" pw "row written"
[[ $(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE usename = '$role' AND application_name = 'pinfs'") -ge 1 ]] ||
    fail "pinfs is not connected as $role"

step "the password is nowhere to be seen"
# The searches read the password from a file: in their own argv it would
# be found by the search itself.
printf '%s\n' "$secret" >"$CASE_DIR/secret"
leak=
for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qFf "$CASE_DIR/secret"; then
        leak+=" ${p#/proc/}:$(tr '\0' ' ' <"$p/cmdline")"
    fi
done
[[ -z "$leak" ]] || fail "the password is in the argv of:$leak"
ps -eww -o pid,args >"$CASE_DIR/ps.out"
grep -qF "$PINFS $CONFIG $MNT" "$CASE_DIR/ps.out" || fail "ps does not show pinfs (the search would prove nothing)"
grep -qFf "$CASE_DIR/secret" "$CASE_DIR/ps.out" && fail "the password shows in ps"
grep -qFf "$CASE_DIR/secret" /proc/self/mountinfo && fail "the password is in mountinfo"
tr '\0' '\n' <"/proc/$PINFS_PID/environ" | grep -qFf "$CASE_DIR/secret" && fail "the password is in pinfs's environment"
for f in routes health; do
    cat "$MNT/.system/$f" >"$CASE_DIR/system-$f"
    grep -qFf "$CASE_DIR/secret" "$CASE_DIR/system-$f" && fail "the password is in /.system/$f"
done
[[ -s "$CASE_DIR/system-routes" ]] || fail "/.system/routes is empty"
kill -HUP "$PINFS_PID"
sleep 0.5
umount_pinfs
grep -qFf "$CASE_DIR/secret" "$PINFS_LOG" && fail "the password is in the daemon's log"
true
