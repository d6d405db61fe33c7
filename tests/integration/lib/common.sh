# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# (variables are used by the cases; write_config's argument is optional)
#
# Helpers for tests/integration/cases/*.sh. run.sh runs each case in its own
# bash process (under a timeout) with this file sourced and these set:
#
#   PIT_WORK     the run's work dir (/var/tmp/pinfs-it.XXXXXX, readable by all)
#   PIT_BIN      pinfs, pinctl and probe, copied where every uid can run them
#   PIT_PG_BIN   the PostgreSQL bin dir;  PIT_PG_SOCK  its private socket dir
#   PIT_SRC      the source tree (for migrations/, policies/, examples/)
#   CASE_NAME    the case's name;  CASE_DIR  its own dir (the case's cwd)
#   CASE_DB      a fresh database, a copy of the migrated template
#
# and provides to the case:
#
#   MNT          "$CASE_DIR/mnt", the mount point
#   CONFIG       "$CASE_DIR/pinfs.json" (written by write_config)
#   PINFS_PID    the daemon started by mount_pinfs
#
# Mounts are recorded in $PIT_WORK/mounts.d/PID (content: the mount point)
# so that run.sh can unmount and stop whatever a failed or interrupted case
# left behind. Nothing here kills a process by name.

PINFS="$PIT_BIN/pinfs"
PINCTL="$PIT_BIN/pinctl"
PROBE="$PIT_BIN/probe"
MNT="$CASE_DIR/mnt"
CONFIG="$CASE_DIR/pinfs.json"
PINFS_PID=
PINFS_LOG=
PIT_MOUNT_SEQ=0
# Lines of daemon stderr that mean a bug (sshfs conftest, libfuse test_ctests).
PIT_BAD_STDERR_RE='AddressSanitizer|runtime error|LeakSanitizer| ERROR '

# ---- reporting ------------------------------------------------------------

# where: "case.sh:LINE" of the case line that called into this file.
where()
{
    local i
    for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
        if [[ "${BASH_SOURCE[i]}" == */cases/* ]]; then
            echo "${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
            return
        fi
    done
    echo "?"
}

# fail MESSAGE...: ends the case as failed.
fail()
{
    echo "FAILED at $(where): $*" >&2
    exit 1
}

# skip REASON: ends the case as skipped (exit 77).
skip()
{
    echo "SKIPPED: $*" >&2
    exit 77
}

# step TEXT: a progress note in the case log.
step()
{
    echo "--- $*" >&2
}

# ---- assertions -----------------------------------------------------------

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq()
{
    if [[ "$1" != "$2" ]]; then
        {
            echo "assert_eq failed at $(where)${3:+: $3}"
            echo "  expected: $(printf '%q' "$2")"
            echo "  actual:   $(printf '%q' "$1")"
        } >&2
        exit 1
    fi
}

# assert_match ACTUAL ERE [WHAT]
assert_match()
{
    if ! [[ "$1" =~ $2 ]]; then
        {
            echo "assert_match failed at $(where)${3:+: $3}"
            echo "  pattern: $2"
            echo "  actual:  $(printf '%q' "$1")"
        } >&2
        exit 1
    fi
}

# assert_file_eq ACTUAL_FILE EXPECTED_FILE: byte-for-byte (cmp), diff on failure.
assert_file_eq()
{
    if ! cmp -s -- "$1" "$2"; then
        {
            echo "assert_file_eq failed at $(where): $1 differs from $2"
            diff -u -- "$2" "$1" | head -n 40 || true
            echo "  (sizes: expected $(wc -c <"$2"), actual $(wc -c <"$1" || echo '?'))"
        } >&2
        exit 1
    fi
}

# assert_content FILE <<'EOF' ... EOF: FILE holds exactly the here-document
# (including its final newline).
assert_content()
{
    local expected
    expected=$(mktemp "$CASE_DIR/expected.XXXXXX")
    cat >"$expected"
    assert_file_eq "$1" "$expected"
    rm -f -- "$expected"
}

# assert_fails CMD...: CMD must exit non-zero.
assert_fails()
{
    if "$@"; then
        fail "expected failure, but succeeded: $*"
    fi
}

# ---- tools ----------------------------------------------------------------

# probe OP ARGS...: the one-syscall helper (prints an errno name); as root.
probe()
{
    "$PROBE" "$@"
}

# as_user UID CMD...: runs CMD with uid and gid UID, no supplementary groups
# and a minimal environment (root's PATH holds shims other uids cannot run).
# "probe" as CMD means the probe binary.
as_user()
{
    local uid=$1
    shift
    if [[ "$1" == probe ]]; then
        shift
        set -- "$PROBE" "$@"
    fi
    setpriv --reuid "$uid" --regid "$uid" --clear-groups \
        env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/ "$@"
}

# ---- PostgreSQL -----------------------------------------------------------

# pg_sql SQL [psql args...]: runs SQL in the case database, prints unaligned
# tuples-only output ("a|b" per row); stops on the first error.
pg_sql()
{
    local sql=$1
    shift
    "$PIT_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h "$PIT_PG_SOCK" -d "$CASE_DB" "$@" -c "$sql"
}

# pg_admin SQL: the same against the maintenance database "postgres".
pg_admin()
{
    "$PIT_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h "$PIT_PG_SOCK" -d postgres -c "$1"
}

# use_empty_db: replaces the case database by an empty one (no migrations).
use_empty_db()
{
    pg_admin "DROP DATABASE IF EXISTS \"$CASE_DB\""
    pg_admin "CREATE DATABASE \"$CASE_DB\" TEMPLATE template0"
}

# write_config [DBNAME]: writes $CONFIG with one route "*" to DBNAME
# (default: the case database).
write_config()
{
    local db=${1:-$CASE_DB}
    cat >"$CONFIG" <<EOF
{
  "mode": "saas",
  "routes": [
    {"tenant": "*", "backend": "postgresql:///$db?host=$PIT_PG_SOCK"}
  ]
}
EOF
}

# ---- mounting -------------------------------------------------------------

# pid_running PID: true while PID exists and is not a zombie.
pid_running()
{
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat:0:1}" != Z ]]
}

# is_mounted DIR: DIR is a mount point in our mount table (no FUSE request).
is_mounted()
{
    local dir
    dir=$(realpath -m -- "$1")
    awk -v d="$dir" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# start_pinfs [ARGS...]: starts "pinfs CONFIG MNT -f -o allow_other ARGS" in
# the background as root; sets PINFS_PID and PINFS_LOG (stdout+stderr).
start_pinfs()
{
    [[ -f "$CONFIG" ]] || write_config
    mkdir -p -- "$MNT"
    PIT_MOUNT_SEQ=$((PIT_MOUNT_SEQ + 1))
    PINFS_LOG="$CASE_DIR/pinfs-$PIT_MOUNT_SEQ.log"
    "$PINFS" "$CONFIG" "$MNT" -f -o allow_other "$@" </dev/null >"$PINFS_LOG" 2>&1 &
    PINFS_PID=$!
    echo "$MNT" >"$PIT_WORK/mounts.d/$PINFS_PID"
    step "started pinfs pid $PINFS_PID (log $PINFS_LOG)"
}

# forget_pinfs_if_unmounted: drops the exited daemon's record unless it left
# its mount behind (then run.sh's cleanup unmounts it).
forget_pinfs_if_unmounted()
{
    if ! is_mounted "$MNT"; then
        rm -f -- "$PIT_WORK/mounts.d/$PINFS_PID"
    fi
}

# mount_pinfs [ARGS...]: start_pinfs, then waits (10 s deadline) until the
# mount exists and answers.
mount_pinfs()
{
    local i rc
    start_pinfs "$@"
    for ((i = 0; i < 200; i++)); do
        if is_mounted "$MNT" && timeout 5 mountpoint -q -- "$MNT"; then
            return 0
        fi
        if ! pid_running "$PINFS_PID"; then
            rc=0
            wait "$PINFS_PID" || rc=$?
            forget_pinfs_if_unmounted
            cat -- "$PINFS_LOG" >&2
            fail "pinfs exited with status $rc before the mount appeared"
        fi
        sleep 0.05
    done
    fail "pinfs did not mount $MNT within 10 s"
}

# wait_pinfs_exit SECONDS: waits for the daemon to exit; sets PINFS_RC.
# Returns 1 if it is still running after SECONDS.
wait_pinfs_exit()
{
    local i
    for ((i = 0; i < $1 * 20; i++)); do
        if ! pid_running "$PINFS_PID"; then
            PINFS_RC=0
            wait "$PINFS_PID" || PINFS_RC=$?
            forget_pinfs_if_unmounted
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# umount_pinfs: fusermount3 -u, then the daemon must exit with status 0
# within 10 s and leave nothing suspicious on stderr.
umount_pinfs()
{
    pid_running "$PINFS_PID" || fail "pinfs (pid $PINFS_PID) died while mounted"
    fusermount3 -u -- "$MNT" || fail "fusermount3 -u $MNT failed"
    wait_pinfs_exit 10 || fail "pinfs did not exit within 10 s of the unmount"
    if ((PINFS_RC != 0)); then
        cat -- "$PINFS_LOG" >&2
        fail "pinfs exited with status $PINFS_RC after the unmount (expected 0)"
    fi
    check_daemon_log "$PINFS_LOG"
    step "unmounted, pinfs exited 0"
}

# ---- daemon stderr --------------------------------------------------------

# allow_stderr ERE: a daemon stderr line matching ERE as a whole is expected
# in this case and is not held against it.
allow_stderr()
{
    printf '%s\n' "$1" >>"$CASE_DIR/allowed-stderr"
}

# check_daemon_log LOG: fails if LOG has a line matching PIT_BAD_STDERR_RE
# that the case did not allow.
check_daemon_log()
{
    local bad
    bad=$(grep -E -- "$PIT_BAD_STDERR_RE" "$1" || true)
    if [[ -n "$bad" && -s "$CASE_DIR/allowed-stderr" ]]; then
        bad=$(grep -v -x -E -f "$CASE_DIR/allowed-stderr" <<<"$bad" || true)
    fi
    if [[ -n "$bad" ]]; then
        printf 'suspicious daemon stderr in %s:\n%s\n' "$1" "$bad" >&2
        exit 1
    fi
}

# ---- case runner (called by run.sh) -----------------------------------------

# pit_case_setup: strict mode, a located message for a failing command, and
# the case's directory as cwd. run.sh then sources the case at top level
# (not from a function, so that `exit` from the ERR trap unwinds cleanly).
pit_case_setup()
{
    set -euo pipefail
    set -E
    # Only the case's own shell reports: a failing $(...) reports once.
    trap '((BASH_SUBSHELL)) || echo "FAILED at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND (status $?)" >&2' ERR
    cd -- "$CASE_DIR"
}
