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

# --- tool- helpers ---
# Used by cases/tool-*.sh (real shell tools and editors on a real mount).

# tool_pins: every pin in the case database, "tenant|key" per line, sorted.
tool_pins()
{
    pg_sql "SELECT tenant_id, key FROM system.memory_pins ORDER BY 1, 2"
}

# tool_assert_pins [TENANT|KEY...]: the database holds exactly these pins
# (give them in "ORDER BY tenant_id, key" order; none: no pin at all).
tool_assert_pins()
{
    local expected=
    if (($#)); then
        expected=$(printf '%s\n' "$@")
    fi
    assert_eq "$(tool_pins)" "$expected" "the set of pins in system.memory_pins"
}

# tool_value TENANT KEY: the stored JSONB value as text (empty if no row).
tool_value()
{
    pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = '$1' AND key = '$2'"
}

# tool_write_config_policy UID TENANT...: $CONFIG with one route "*" to the
# case database and $CASE_DIR/policy.json, which gives root infra on every
# tenant and UID the admin role on the TENANTs only.
tool_write_config_policy()
{
    local uid=$1 tenants
    shift
    tenants=$(printf '"%s",' "$@")
    tenants=${tenants%,}
    cat >"$CASE_DIR/policy.json" <<EOP
{
  "version": "tool-tests",
  "enforce": true,
  "roles": {
    "infra": {"memory_pin": ["read", "write", "delete", "admin"]},
    "admin": {"memory_pin": ["read", "write", "delete", "admin"]}
  },
  "bindings": [
    {"uid": 0, "roles": ["infra"], "tenants": ["*"]},
    {"uid": $uid, "roles": ["admin"], "tenants": [$tenants]}
  ]
}
EOP
    cat >"$CONFIG" <<EOC
{
  "mode": "saas",
  "routes": [
    {"tenant": "*", "backend": "postgresql:///$CASE_DB?host=$PIT_PG_SOCK"}
  ],
  "policy": "$CASE_DIR/policy.json"
}
EOC
}

# tool_home UID: creates (once) and prints a private, writable home directory
# for UID under the case dir, with ~/tmp (vim's second swap directory), so
# editors keep their swap, backup and lock files there and nowhere shared.
tool_home()
{
    local home=$CASE_DIR/home-$1
    if [[ ! -d "$home" ]]; then
        mkdir -p -- "$home/tmp"
        chown -R "$1:$1" -- "$home"
        chmod 700 -- "$home"
    fi
    printf '%s\n' "$home"
}

# tool_as_user UID CMD...: like as_user, with HOME=$(tool_home UID) and a
# terminal type, in that home directory.
tool_as_user()
{
    local uid=$1 home
    shift
    home=$(tool_home "$uid")
    (cd -- "$home" && setpriv --reuid "$uid" --regid "$uid" --clear-groups \
        env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 HOME="$home" TERM=xterm-256color "$@")
}

# tool_home_files UID: what the editor left in its home, one path per line
# (relative, sorted; ~/tmp itself not listed).
tool_home_files()
{
    (cd -- "$(tool_home "$1")" && find . -mindepth 1 ! -path ./tmp | sort)
}

# ---- tmux: an editor on a real terminal --------------------------------------
#
# One tmux server per case, running as TOOL_TMUX_UID with its socket in that
# uid's home. tool_cleanup (installed as the EXIT/TERM trap by
# tool_tmux_start) kills the sessions this case started, by name.

TOOL_TMUX_UID=
TOOL_TMUX_SOCK=
TOOL_TMUX_SESSIONS=()

# tool_tmux UID ARGS...: runs tmux ARGS as UID on the case's server.
tool_tmux()
{
    local uid=$1
    shift
    tool_as_user "$uid" tmux -S "$TOOL_TMUX_SOCK" "$@"
}

# tool_tmux_cleanup: kills every session started by this case (by name).
tool_tmux_cleanup()
{
    local s
    [[ -n "$TOOL_TMUX_SOCK" ]] || return 0
    for s in "${TOOL_TMUX_SESSIONS[@]}"; do
        tool_tmux "$TOOL_TMUX_UID" kill-session -t "$s" 2>/dev/null || true
    done
}

# Background processes of the case (tool_bg), stopped by tool_cleanup.
TOOL_BG_PIDS=()

# tool_cleanup: the EXIT/TERM trap of a case that uses tool_tmux_start or
# tool_bg: ends its tmux sessions and its still-running background
# processes (by pid), so that nothing keeps the mount busy.
tool_cleanup()
{
    local pid
    tool_tmux_cleanup
    for pid in "${TOOL_BG_PIDS[@]}"; do
        if pid_running "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
}

# tool_trap: installs tool_cleanup (idempotent).
tool_trap()
{
    trap tool_cleanup EXIT
    trap 'exit 143' TERM
}

# tool_bg PID: records a background process ($!) for tool_cleanup.
tool_bg()
{
    TOOL_BG_PIDS+=("$1")
    tool_trap
}

# tool_tmux_start UID NAME CMD: starts session NAME (120x40) running the shell
# command CMD as UID in its home directory.
tool_tmux_start()
{
    TOOL_TMUX_UID=$1
    TOOL_TMUX_SOCK=$(tool_home "$1")/tmux.sock
    TOOL_TMUX_SESSIONS+=("$2")
    tool_trap
    tool_tmux "$1" new-session -d -s "$2" -x 120 -y 40 "$3"
}

# tool_tmux_screen NAME: the visible screen of session NAME.
tool_tmux_screen()
{
    tool_tmux "$TOOL_TMUX_UID" capture-pane -p -t "$1"
}

# tool_tmux_wait NAME ERE [SECONDS]: waits (default 10 s) until the screen of
# session NAME matches ERE; fails with the screen if it never does.
tool_tmux_wait()
{
    local i screen=
    for ((i = 0; i < ${3:-10} * 10; i++)); do
        screen=$(tool_tmux_screen "$1" 2>/dev/null || true)
        if [[ "$screen" =~ $2 ]]; then
            return 0
        fi
        sleep 0.1
    done
    printf 'screen of tmux session %s:\n%s\n' "$1" "$screen" >&2
    fail "tmux session $1: the screen never matched /$2/"
}

# tool_tmux_keys NAME KEYS...: tmux send-keys to session NAME.
tool_tmux_keys()
{
    local name=$1
    shift
    tool_tmux "$TOOL_TMUX_UID" send-keys -t "$name" "$@"
}

# tool_tmux_wait_gone NAME [SECONDS]: waits until session NAME has ended
# (its program exited); fails if it is still there.
tool_tmux_wait_gone()
{
    local i
    for ((i = 0; i < ${2:-10} * 10; i++)); do
        if ! tool_tmux "$TOOL_TMUX_UID" has-session -t "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    printf 'screen of tmux session %s:\n%s\n' "$1" "$(tool_tmux_screen "$1" || true)" >&2
    fail "tmux session $1 is still running"
}

# ---- handshakes with a background process ----------------------------------
#
# A process that holds a pin open must not start other programs: every exec
# closes its (close-on-exec) descriptors, and each close is a FUSE flush,
# which commits. Such a process talks to the case through two FIFOs instead:
# it writes a line to "ready" when it has reached a point, and waits for a
# line on "go" before going on.

# tool_fifo_wait FIFO: reads one line from FIFO (10 s deadline) and prints it.
tool_fifo_wait()
{
    timeout 10 bash -c 'IFS= read -r line <"$1" && printf "%s\n" "$line"' _ "$1" ||
        fail "nothing arrived on $1 within 10 s"
}

# tool_fifo_send FIFO [LINE]: writes LINE (default "go") to FIFO (10 s deadline).
tool_fifo_send()
{
    timeout 10 bash -c 'printf "%s\n" "$2" >"$1"' _ "$1" "${2:-go}" ||
        fail "nobody read $1 within 10 s"
}

# --- rbac-/sys- helpers ---
# Helpers for the rbac-* and sys-* cases (RBAC, tokens, /.system). Policy
# files live in a directory of their own ($RB_POLICY_DIR), which the daemon
# watches with inotify; token secrets and keys live in $CASE_DIR.

RB_POLICY_DIR="$CASE_DIR/policy"
RB_POLICY="$RB_POLICY_DIR/rbac.json"
RB_SECRET="$CASE_DIR/jwt.secret"
RB_ISSUER="https://auth.pinfs.test"
RB_AUDIENCE="pinfs"

# rb_policy_text BINDINGS_JSON [ENFORCE] [VERSION]: a policy with the seed's
# role matrix (policies/rbac_policies.json) and these bindings.
rb_policy_text()
{
    jq --argjson b "$1" --argjson e "${2:-true}" --arg v "${3:-test-1}" \
        '.bindings = $b | .enforce = $e | .version = $v' "$PIT_SRC/policies/rbac_policies.json"
}

# rb_policy BINDINGS_JSON [ENFORCE] [VERSION]: writes $RB_POLICY (before mounting).
rb_policy()
{
    mkdir -p -- "$RB_POLICY_DIR"
    rb_policy_text "$@" >"$RB_POLICY"
}

# rb_policy_save_raw: an editor-style save of stdin over $RB_POLICY (write a
# temporary file in the same directory, then rename it over the policy).
rb_policy_save_raw()
{
    local tmp
    tmp=$(mktemp "$RB_POLICY_DIR/.rbac.json.XXXXXX")
    cat >"$tmp"
    chmod 644 "$tmp"
    mv -f -- "$tmp" "$RB_POLICY"
}

# rb_policy_save BINDINGS_JSON [ENFORCE] [VERSION]: the same with a generated policy.
rb_policy_save()
{
    rb_policy_text "$@" | rb_policy_save_raw
}

# rb_hs_secret [FILE] [BYTES]: writes a random HS256 secret (default
# $RB_SECRET, 48 bytes of base64 text, no newline), mode 0600 (pinfs
# refuses a secret anyone else may read).
rb_hs_secret()
{
    local file=${1:-$RB_SECRET} n=${2:-48}
    head -c 256 /dev/urandom | base64 -w0 | head -c "$n" >"$file"
    chmod 600 -- "$file"
}

# rb_tokens_json ALG KEYFILE [ISSUER] [AUDIENCE]: the config's "tokens" object.
rb_tokens_json()
{
    local field=secret_file
    [[ "$1" == HS* ]] || field=public_key_file
    jq -n --arg a "$1" --arg f "$2" --arg i "${3:-$RB_ISSUER}" --arg au "${4:-$RB_AUDIENCE}" \
        --arg field "$field" '{algorithm: $a, ($field): $f, issuer: $i, audience: $au}'
}

# rb_config [POLICY|-] [TOKENS_JSON]: writes $CONFIG with route "*" to the
# case database, "policy" (default $RB_POLICY; "-": none) and "tokens" if given.
rb_config()
{
    local policy=${1:-$RB_POLICY} tokens=${2:-null}
    jq -n --arg be "postgresql:///$CASE_DB?host=$PIT_PG_SOCK" --arg p "$policy" \
        --argjson t "$tokens" \
        '{mode: "saas", routes: [{tenant: "*", backend: $be}]}
         + (if $p == "-" then {} else {policy: $p} end)
         + (if $t == null then {} else {tokens: $t} end)' >"$CONFIG"
}

# rb_mint SUB ROLES TENANTS TTL [pinctl token mint options...]: a token
# signed by pinctl with the config's "tokens" settings.
rb_mint()
{
    local sub=$1 roles=$2 tenants=$3 ttl=$4
    shift 4
    "$PINCTL" --config "$CONFIG" token mint --sub "$sub" --roles "$roles" --tenants "$tenants" \
        --ttl "$ttl" "$@"
}

# rb_jwt ALG KEYFILE HEADER_EXTRA_JSON CLAIMS_JSON: a hand-made token (python3
# stdlib). ALG "HS256"/"HS384"/"HS512": HMAC keyed with KEYFILE's bytes, one
# trailing newline dropped (as the verifier reads secrets); "HS256-raw": the
# bytes exactly (e.g. an RSA public key PEM); "none": an empty signature.
# HEADER_EXTRA_JSON is merged into {"alg": ..., "typ": "JWT"}; CLAIMS_JSON
# "@FILE" reads the claims from FILE (for claims too large for argv).
rb_jwt()
{
    /usr/bin/python3 - "$@" <<'PY'
import base64, hashlib, hmac, json, sys
alg, keyfile, extra, claims = sys.argv[1:5]
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
name = "HS256" if alg == "HS256-raw" else alg
header = {"alg": name, "typ": "JWT"}
header.update(json.loads(extra))
if claims.startswith("@"):
    claims = open(claims[1:], encoding="utf-8").read()
signing = b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
    b64(json.dumps(json.loads(claims), separators=(",", ":")).encode())
if alg == "none":
    sig = ""
else:
    key = open(keyfile, "rb").read()
    if alg != "HS256-raw":
        if key.endswith(b"\r\n"):
            key = key[:-2]
        elif key.endswith(b"\n"):
            key = key[:-1]
    h = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[name]
    sig = b64(hmac.new(key, signing.encode(), h).digest())
print(signing + "." + sig)
PY
}

# rb_claims SUB ROLES_CSV TENANTS_CSV [EXTRA_JSON]: claims with iss, aud
# ($RB_ISSUER, $RB_AUDIENCE), iat now and exp now+600, merged with EXTRA_JSON
# (use null values to drop a claim).
rb_claims()
{
    local extra=${4:-}
    [[ -n "$extra" ]] || extra='{}'
    jq -nc --arg s "$1" --arg r "$2" --arg t "$3" --argjson x "$extra" \
        --arg i "$RB_ISSUER" --arg a "$RB_AUDIENCE" --argjson now "$(date +%s)" \
        '{sub: $s, roles: ($r | split(",")), tenants: ($t | split(",")), iss: $i, aud: $a,
          iat: $now, exp: ($now + 600)} + $x | with_entries(select(.value != null))'
}

# rb_cred UID TOKEN|-: writes TOKEN (or stdin) to /.system/credentials as
# UID; prints probe's "write=X close=Y" (or "open=X").
rb_cred()
{
    as_user "$1" probe write-trunc "$MNT/.system/credentials" "$2"
}

# rb_as_groups UID GID GROUPS CMD...: as_user with primary gid GID and the
# supplementary groups GROUPS ("4,24"; "" for none).
rb_as_groups()
{
    local uid=$1 gid=$2 groups=$3
    shift 3
    if [[ "$1" == probe ]]; then
        shift
        set -- "$PROBE" "$@"
    fi
    if [[ -n "$groups" ]]; then
        setpriv --reuid "$uid" --regid "$gid" --groups "$groups" \
            env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/ "$@"
    else
        setpriv --reuid "$uid" --regid "$gid" --clear-groups \
            env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/ "$@"
    fi
}

# rb_poll SECONDS EXPECTED CMD...: runs CMD every 0.1 s until its output is
# EXPECTED or SECONDS passed; prints the last output (compare it with assert_eq).
rb_poll()
{
    local secs=$1 expected=$2 out i
    shift 2
    for ((i = 0; i <= secs * 10; i++)); do
        out=$("$@" 2>&1) || true
        [[ "$out" == "$expected" ]] && break
        sleep 0.1
    done
    printf '%s\n' "$out"
}

# rb_poll_match SECONDS ERE CMD...: the same until the output matches ERE.
rb_poll_match()
{
    local secs=$1 re=$2 out i
    shift 2
    for ((i = 0; i <= secs * 10; i++)); do
        out=$("$@" 2>&1) || true
        [[ "$out" =~ $re ]] && break
        sleep 0.1
    done
    printf '%s\n' "$out"
}

# rb_metric SAMPLE [FILE]: the value of the sample line whose name and labels
# are exactly SAMPLE (e.g. 'x_total{a="b"}'), from /.system/metrics read as
# root (or from FILE); "absent" if there is no such line.
rb_metric()
{
    awk -v s="$1" '$1 == s { print $2; found = 1; exit } END { if (!found) print "absent" }' \
        "${2:-$MNT/.system/metrics}"
}

# rb_sha16 STRING: the first 16 hex digits of SHA-256(STRING).
rb_sha16()
{
    printf '%s' "$1" | sha256sum | cut -c1-16
}

# rb_daemon_alive: the daemon runs and its mount answers.
rb_daemon_alive()
{
    pid_running "$PINFS_PID" && timeout 5 stat -- "$MNT/.system" >/dev/null 2>&1
}

# rb_audit_json_check FILE: every line of FILE is one JSON object with exactly
# the audit event's fields; prints "OK N" or the first problem.
rb_audit_json_check()
{
    /usr/bin/python3 - "$1" <<'PY'
import json, sys
want = {"time", "operation", "tenant", "key", "uid", "subject", "success", "error_code",
        "latency_ms", "value_sha256", "version"}
n = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        o = json.loads(line)
    except ValueError as e:
        print(f"line {i}: not JSON ({e}): {line!r}")
        sys.exit(0)
    if not isinstance(o, dict) or set(o) != want:
        print(f"line {i}: fields {sorted(o) if isinstance(o, dict) else type(o)}")
        sys.exit(0)
    n += 1
print(f"OK {n}")
PY
}

# rb_exec_as UID CMD...: replaces the calling (sub)shell by CMD run as
# as_user would run it, so that "(rb_exec_as U tail -f F) &" leaves in $! the
# pid of CMD itself (to stop it by pid).
rb_exec_as()
{
    local uid=$1
    shift
    exec setpriv --reuid "$uid" --regid "$uid" --clear-groups \
        env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/ "$@"
}

# --- route-/ttl- helpers ---
# Used by cases/route-*.sh and cases/ttl-*.sh. Every name starts with rt_.

# rt_pg_uri [DB]: the libpq URI of DB (default: the case database).
rt_pg_uri()
{
    echo "postgresql:///${1:-$CASE_DB}?host=$PIT_PG_SOCK"
}

# rt_sqlite_uri PATH: the route backend of an SQLite file (absolute path).
rt_sqlite_uri()
{
    echo "sqlite://$1"
}

# rt_config_to FILE MODE [TENANT=BACKEND...]: writes a config with those
# routes, in that order. RT_EXTRA, if set, is a JSON object merged into the
# top level (e.g. '{"pool": {"size": 2}}'). Written to a temporary name and
# renamed, so a watcher never reads half a file.
rt_config_to()
{
    local file=$1 mode=$2 r routes='[]' extra=${RT_EXTRA:-'{}'}
    shift 2
    for r in "$@"; do
        routes=$(jq -c --arg t "${r%%=*}" --arg b "${r#*=}" '. + [{tenant: $t, backend: $b}]' <<<"$routes")
    done
    jq -n --arg mode "$mode" --argjson routes "$routes" --argjson extra "$extra" \
        '{mode: $mode, routes: $routes} + $extra' >"$file.rt-tmp"
    mv -f -- "$file.rt-tmp" "$file"
}

# rt_config MODE [TENANT=BACKEND...]: rt_config_to "$CONFIG" ...
rt_config()
{
    rt_config_to "$CONFIG" "$@"
}

# rt_migrate [CONFIG]: pinctl migrate up on every route of CONFIG.
rt_migrate()
{
    "$PINCTL" --config "${1:-$CONFIG}" migrate up >>"$CASE_DIR/pinctl.log" 2>&1 || {
        cat -- "$CASE_DIR/pinctl.log" >&2
        fail "pinctl --config ${1:-$CONFIG} migrate up failed"
    }
}

# rt_sqlite DBFILE SQL: runs SQL with the sqlite3 shell ("a|b" per row).
rt_sqlite()
{
    sqlite3 -batch -bail -noheader -cmd '.timeout 5000' "$1" "$2"
}

# rt_policy BINDINGS_JSON [ROLES_JSON]: writes $CASE_DIR/policy.json: the
# shipped seed policy with these bindings (and, if given, these extra roles
# added to the seed matrix). Prints its path.
rt_policy()
{
    local out=$CASE_DIR/policy.json
    jq --argjson b "$1" --argjson r "${2:-"{}"}" '.bindings = $b | .roles += $r' \
        "$PIT_SRC/policies/rbac_policies.json" >"$out.rt-tmp"
    mv -f -- "$out.rt-tmp" "$out"
    echo "$out"
}

# rt_now_ms: wall-clock milliseconds.
rt_now_ms()
{
    echo $(($(date +%s%N) / 1000000))
}

# rt_wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds
# (returns 0) or SECONDS pass (returns 1). RT_WAITED_MS: the time it took.
rt_wait_until()
{
    local limit=$(($1 * 1000)) t0
    shift
    t0=$(rt_now_ms)
    while :; do
        if "$@" >/dev/null 2>&1; then
            RT_WAITED_MS=$(($(rt_now_ms) - t0))
            return 0
        fi
        if (($(rt_now_ms) - t0 > limit)); then
            RT_WAITED_MS=$(($(rt_now_ms) - t0))
            return 1
        fi
        sleep 0.1
    done
}

# rt_timed VAR CMD...: runs CMD, stores its stdout in VAR and its duration
# in milliseconds in RT_MS. CMD's exit status is ignored.
rt_timed()
{
    local __var=$1 __out __t0
    shift
    __t0=$(rt_now_ms)
    __out=$("$@" 2>&1) || true
    RT_MS=$(($(rt_now_ms) - __t0))
    printf -v "$__var" '%s' "$__out"
}

# rt_metric NAME: the sum of the samples of metric NAME (any labels) in
# /.system/metrics; empty if there is none.
rt_metric()
{
    awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF; found = 1 }
        END { if (found) printf "%d\n", s }' "$MNT/.system/metrics"
}

# rt_log_count ERE: lines of the current daemon log matching ERE.
rt_log_count()
{
    grep -c -E -- "$1" "$PINFS_LOG" || true
}

# rt_wait_log_count ERE N SECONDS: waits until at least N lines match.
rt_wait_log_count()
{
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        (($(rt_log_count "$1") >= $2)) && return 0
        sleep 0.1
    done
    return 1
}

# ---- the harness's PostgreSQL, stopped and started by a case ----

RT_PG_DATA=$PIT_WORK/pg/data
RT_PG_STOPPED=0

rt_pg_ctl()
{
    (cd "$PIT_WORK" && runuser -u postgres -- "$PIT_PG_BIN/pg_ctl" "$@")
}

# rt_pg_stop: stops the cluster (fast mode) and arranges for it to be
# started again when the case ends, however it ends.
rt_pg_stop()
{
    trap rt_pg_restore EXIT
    trap 'exit 143' TERM
    RT_PG_STOPPED=1
    rt_pg_ctl -D "$RT_PG_DATA" -m fast -w -t 30 stop >/dev/null || fail "pg_ctl stop failed"
    step "PostgreSQL stopped"
}

# rt_pg_start: starts it again on the same socket dir, port and settings
# that run.sh used.
rt_pg_start()
{
    rt_pg_ctl -D "$RT_PG_DATA" -l "$PIT_WORK/pg/postgres.log" -w -t 60 \
        -o "-k $PIT_PG_SOCK -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || fail "pg_ctl start failed"
    RT_PG_STOPPED=0
    step "PostgreSQL started"
}

# The EXIT trap: a case that stopped PostgreSQL never leaves it stopped.
rt_pg_restore()
{
    local rc=$?
    if ((RT_PG_STOPPED)) && ! rt_pg_ctl -D "$RT_PG_DATA" status >/dev/null 2>&1; then
        echo "rt_pg_restore: starting PostgreSQL again" >&2
        rt_pg_ctl -D "$RT_PG_DATA" -l "$PIT_WORK/pg/postgres.log" -w -t 60 \
            -o "-k $PIT_PG_SOCK -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null 2>&1 || echo "rt_pg_restore: pg_ctl start failed" >&2
        RT_PG_STOPPED=0
    fi
    return "$rc"
}

# ---- the embedded default (pinfs MOUNTPOINT, no config) ----

# rt_mount_embedded [VAR=VALUE...]: starts "pinfs MNT -f -o allow_other"
# with those environment variables (e.g. HOME=..., XDG_DATA_HOME=...), as
# start_pinfs does for a config, and waits (10 s) for the mount.
rt_mount_embedded()
{
    local i rc
    mkdir -p -- "$MNT"
    PIT_MOUNT_SEQ=$((PIT_MOUNT_SEQ + 1))
    PINFS_LOG="$CASE_DIR/pinfs-$PIT_MOUNT_SEQ.log"
    env "$@" "$PINFS" "$MNT" -f -o allow_other </dev/null >"$PINFS_LOG" 2>&1 &
    PINFS_PID=$!
    echo "$MNT" >"$PIT_WORK/mounts.d/$PINFS_PID"
    step "started embedded-default pinfs pid $PINFS_PID ($*) (log $PINFS_LOG)"
    for ((i = 0; i < 200; i++)); do
        if is_mounted "$MNT" && timeout 5 mountpoint -q -- "$MNT"; then
            return 0
        fi
        if ! pid_running "$PINFS_PID"; then
            rc=0
            wait "$PINFS_PID" || rc=$?
            forget_pinfs_if_unmounted
            cat -- "$PINFS_LOG" >&2
            fail "pinfs (embedded default) exited with status $rc before the mount appeared"
        fi
        sleep 0.05
    done
    fail "pinfs (embedded default) did not mount $MNT within 10 s"
}

# ---- the backend conformance binary ----

# rt_conformance_bin: prints the path of backend_conformance from the build
# dir run.sh was given (found from run.sh's command line, else the build
# dir under the source tree whose pinfs is the one under test).
rt_conformance_bin()
{
    local pid=$$ args dir i d
    for ((i = 0; i < 8 && pid > 1; i++)); do
        mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || args=()
        if [[ "${args[1]:-}" == */run.sh ]]; then
            for ((d = 0; d < ${#args[@]}; d++)); do
                case ${args[d]} in
                --build-dir) dir=${args[d + 1]:-} ;;
                --build-dir=*) dir=${args[d]#*=} ;;
                esac
            done
            if [[ -n "${dir:-}" ]]; then
                [[ "$dir" == /* ]] || dir=$(readlink "/proc/$pid/cwd")/$dir
                if [[ -x "$dir/tests/conformance/backend_conformance" ]]; then
                    echo "$dir/tests/conformance/backend_conformance"
                    return 0
                fi
            fi
        fi
        pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) || break
    done
    for d in "$PIT_SRC"/*/; do
        if [[ -x "$d/tests/conformance/backend_conformance" ]] && cmp -s -- "$d/pinfs" "$PINFS"; then
            echo "${d%/}/tests/conformance/backend_conformance"
            return 0
        fi
    done
    return 1
}

# rt_run_conformance URI [ENV=VALUE...]: runs the backend conformance suite
# against URI (with the extra environment given) and checks its TAP output:
# exit status 0, a non-empty plan, an "ok" line for every test, no "not ok".
# Sets RT_CONFORMANCE_N to the number of tests.
rt_run_conformance()
{
    local uri=$1 bin rc=0 plan tap=$CASE_DIR/conformance.tap
    shift
    bin=$(rt_conformance_bin) || fail "cannot find tests/conformance/backend_conformance next to the pinfs under test"
    step "running $bin against $uri"
    env CMOCKA_MESSAGE_OUTPUT=TAP PINFS_TEST_BACKEND_URI="$uri" "$@" \
        timeout 100 "$bin" >"$tap" 2>&1 || rc=$?
    cat "$tap" >&2
    ((rc == 0)) || fail "backend_conformance exited with status $rc"
    if grep -E '^not ok' "$tap" >/dev/null; then
        fail "backend_conformance reported failures: $(grep -E '^not ok' "$tap" | paste -sd ';')"
    fi
    plan=$(grep -E '^1\.\.[0-9]+' "$tap" | head -n 1)
    [[ -n "$plan" ]] || fail "no TAP plan in the output"
    RT_CONFORMANCE_N=${plan#1..}
    RT_CONFORMANCE_N=${RT_CONFORMANCE_N%% *}
    ((RT_CONFORMANCE_N > 0)) || fail "the TAP plan is empty: $plan"
    assert_eq "$(grep -c -E '^ok ' "$tap")" "$RT_CONFORMANCE_N" "ok lines against the plan $plan"
}

# ---- extended attributes ----

# RFC 3339 UTC, as user.pin.*_at report it.
RT_RFC3339_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'

# rt_xattrs FILE: listxattr's names, sorted, one line.
rt_xattrs()
{
    local out names
    out=$(probe listxattr "$1")
    [[ "$out" == OK* ]] || {
        echo "$out"
        return
    }
    read -r -a names <<<"${out#OK}"
    printf '%s\n' "${names[@]}" | sort | paste -sd ' '
}

# rt_epoch RFC3339: seconds since the epoch.
rt_epoch()
{
    date -u -d "$1" +%s
}

# rt_db BACKEND SQL: runs SQL on BACKEND, "pg" (the case database) or an
# SQLite file, with @pins, @audit and @tenants standing for the tables
# (system.memory_pins ... on PostgreSQL, memory_pins ... on SQLite).
rt_db()
{
    local sql=$2 schema=
    [[ "$1" == pg ]] && schema=system.
    sql=${sql//@pins/${schema}memory_pins}
    sql=${sql//@audit/${schema}memory_audit}
    sql=${sql//@tenants/${schema}tenants}
    if [[ "$1" == pg ]]; then
        pg_sql "$sql"
    else
        rt_sqlite "$1" "$sql"
    fi
}

# rt_ttl_row BACKEND TENANT KEY: "TTL|set" or "TTL|null" (expires_at) or ""
# when there is no row.
rt_ttl_row()
{
    rt_db "$1" "SELECT coalesce(CAST(ttl_seconds AS TEXT), 'none') || '|' ||
                       CASE WHEN expires_at IS NULL THEN 'null' ELSE 'set' END
                FROM @pins WHERE tenant_id = '$2' AND key = '$3'"
}

# rt_pg_sqlite_config [EXTRA TENANT=BACKEND...]: the config most cases use:
# saas mode, tenant "acme" on the case's PostgreSQL database and tenant
# "lab" on $CASE_DIR/lab.db (RT_SQLITE), migrated. Extra routes follow.
rt_pg_sqlite_config()
{
    RT_SQLITE=$CASE_DIR/lab.db
    rt_config saas "acme=$(rt_pg_uri)" "lab=$(rt_sqlite_uri "$RT_SQLITE")" "$@"
    rt_migrate
}

# rt_extra_db NAME [migrated]: creates database "${CASE_DB}_NAME" (empty, or
# a copy of the migrated template with "migrated") and prints its name.
# rt_drop_extra_dbs drops every one of them (call it after unmounting).
rt_extra_db()
{
    local db=${CASE_DB}_$1
    pg_admin "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
    if [[ "${2:-}" == migrated ]]; then
        pg_admin "CREATE DATABASE \"$db\" TEMPLATE tmpl" >/dev/null
    else
        pg_admin "CREATE DATABASE \"$db\" TEMPLATE template0" >/dev/null
    fi
    echo "$db"
}

rt_drop_extra_dbs()
{
    local db
    for db in $(pg_admin "SELECT datname FROM pg_database WHERE datname LIKE '${CASE_DB}\\_%'"); do
        pg_admin "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    done
}

# rt_hup_and_settle: sends SIGHUP to the daemon and waits (10 s) until it
# has logged one more line about a reload; fails if it logs none.
rt_hup_and_settle()
{
    local before
    before=$(rt_log_count '[Rr]eload')
    kill -HUP "$PINFS_PID"
    rt_wait_log_count '[Rr]eload' $((before + 1)) 10 ||
        fail "no reload was logged within 10 s of SIGHUP"
    sleep 0.3
}

# rt_config_linked MODE [TENANT=BACKEND...]: like rt_config, plus a hard
# link to $CONFIG in $CASE_DIR/cfg (RT_REAL_CONFIG) through which later
# rt_config_real calls rewrite the file in place. The daemon watches the
# config's directory; a write through the other link is not an event there,
# so such an edit takes effect only when something asks for a reload
# (SIGHUP, /.system/reload).
rt_config_linked()
{
    RT_REAL_CONFIG=$CASE_DIR/cfg/pinfs.json
    mkdir -p -- "$CASE_DIR/cfg"
    rt_config "$@"
    ln -f -- "$CONFIG" "$RT_REAL_CONFIG"
}

# rt_config_real MODE [TENANT=BACKEND...]: rewrites the config in place
# through RT_REAL_CONFIG.
rt_config_real()
{
    rt_config_to "$CASE_DIR/cfg/next.json" "$@"
    cat -- "$CASE_DIR/cfg/next.json" >"$RT_REAL_CONFIG"
}

# rt_reload_isolated TENANT: true if TENANT is still ENXIO (no route): the
# config edit was not picked up on its own. Notes in the log otherwise.
rt_reload_isolated()
{
    sleep 1
    if [[ "$(probe stat "$MNT/$1")" == ENXIO ]]; then
        return 0
    fi
    step "note: the config edit was picked up without an explicit reload ($1 is routed already)"
    return 1
}

# rt_wait_probe SECONDS EXPECTED OP ARGS...: repeats "probe OP ARGS" every
# 0.1 s until it prints EXPECTED (returns 0) or SECONDS pass (returns 1).
# RT_PROBE_LAST: its last output; RT_WAITED_MS: the time it took.
rt_wait_probe()
{
    local limit=$(($1 * 1000)) expected=$2 t0
    shift 2
    t0=$(rt_now_ms)
    while :; do
        RT_PROBE_LAST=$(probe "$@")
        RT_WAITED_MS=$(($(rt_now_ms) - t0))
        [[ "$RT_PROBE_LAST" == "$expected" ]] && return 0
        ((RT_WAITED_MS <= limit)) || return 1
        sleep 0.1
    done
}

# rt_ttl_round_trip BACKEND TENANT: the user.pin.* round trip on a mounted
# tenant routed to BACKEND ("pg" or an SQLite file): getfattr -d, attr -l,
# setfattr/attr -s/-r, listxattr, the read-only and unknown names, and the
# rows behind them. Used by ttl-xattr-round-trip-*.sh.
rt_ttl_round_trip()
{
    local be=$1 t=$2 f out now exp id created updated version
    f=$MNT/$t/k
    mkdir "$MNT/$t"
    echo '{"a":1}' >"$f"

    step "a fresh pin: created_at, updated_at, source, id, version; no ttl, no expires_at"
    assert_eq "$(rt_xattrs "$f")" "user.pin.created_at user.pin.id user.pin.source user.pin.updated_at user.pin.version" "listxattr of a fresh pin"
    out=$(getfattr -d --absolute-names "$f")
    id=$(stat -c %i "$f")	# user.pin.id is the pin's number, its st_ino (not the row id)
    created=$(getfattr --only-values --absolute-names -n user.pin.created_at "$f")
    updated=$(getfattr --only-values --absolute-names -n user.pin.updated_at "$f")
    version=$(getfattr --only-values --absolute-names -n user.pin.version "$f")
    assert_match "$version" '^[1-9][0-9]*$' "user.pin.version"
    assert_match "$created" "$RT_RFC3339_RE" "user.pin.created_at"
    assert_match "$updated" "$RT_RFC3339_RE" "user.pin.updated_at"
    now=$(date +%s)
    (($(rt_epoch "$created") >= now - 60 && $(rt_epoch "$created") <= now + 5)) ||
        fail "user.pin.created_at $created is not about now ($(date -u -d "@$now" +%FT%TZ))"
    (($(rt_epoch "$updated") >= $(rt_epoch "$created"))) || fail "updated_at $updated before created_at $created"
    assert_eq "$out" "# file: $f
user.pin.created_at=\"$created\"
user.pin.id=\"$id\"
user.pin.source=\"fs\"
user.pin.updated_at=\"$updated\"
user.pin.version=\"$version\"" "getfattr -d of a fresh pin"
    assert_eq "$(probe getxattr "$f" user.pin.id)" "OK $id" "user.pin.id is the inode number"
    assert_eq "$(probe getxattr "$f" user.pin.ttl)" ENODATA "user.pin.ttl without a TTL"
    assert_eq "$(probe getxattr "$f" user.pin.expires_at)" ENODATA "user.pin.expires_at without a TTL"
    assert_eq "$(attr -l "$f" | sort)" "Attribute \"pin.created_at\" has a ${#created} byte value for $f
Attribute \"pin.id\" has a ${#id} byte value for $f
Attribute \"pin.source\" has a 2 byte value for $f
Attribute \"pin.updated_at\" has a ${#updated} byte value for $f
Attribute \"pin.version\" has a ${#version} byte value for $f" "attr -l of a fresh pin"

    step "setfattr user.pin.ttl"
    now=$(date +%s)
    setfattr -n user.pin.ttl -v 3600 "$f"
    assert_eq "$(getfattr --only-values --absolute-names -n user.pin.ttl "$f")" 3600 "ttl read back (no newline)"
    exp=$(getfattr --only-values --absolute-names -n user.pin.expires_at "$f")
    assert_match "$exp" "$RT_RFC3339_RE" "user.pin.expires_at"
    (($(rt_epoch "$exp") >= now + 3600 - 5 && $(rt_epoch "$exp") <= now + 3600 + 5)) ||
        fail "expires_at $exp is not now + 3600 ($(date -u -d "@$((now + 3600))" +%FT%TZ))"
    assert_eq "$(rt_xattrs "$f")" \
        "user.pin.created_at user.pin.expires_at user.pin.id user.pin.source user.pin.ttl user.pin.updated_at user.pin.version" \
        "listxattr with a TTL"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "3600|set" "row after setting the TTL"
    assert_match "$(getfattr -d --absolute-names "$f")" "user\.pin\.expires_at=\"$exp\".*user\.pin\.ttl=\"3600\"" \
        "getfattr -d with a TTL"
    assert_eq "$(cat "$f")" $'{\n  "a": 1\n}' "the value after setting a TTL"

    step "attr -s / -g / -r"
    attr -q -s pin.ttl -V 7200 "$f"
    assert_eq "$(attr -q -g pin.ttl "$f")" 7200 "attr -g pin.ttl after attr -s"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "7200|set" "row after attr -s"
    assert_match "$(attr -l "$f" | sort | paste -sd '|')" 'pin\.expires_at.*pin\.ttl" has a 4 byte value' "attr -l with a TTL"

    step "user.pin.source is read/write"
    setfattr -n user.pin.source -v importer "$f"
    assert_eq "$(getfattr --only-values --absolute-names -n user.pin.source "$f")" importer "source read back"
    assert_eq "$(rt_db "$be" "SELECT source FROM @pins WHERE tenant_id = '$t' AND key = 'k'")" importer "source column"

    step "read-only, unknown and foreign names"
    for n in user.pin.id user.pin.created_at user.pin.updated_at user.pin.expires_at user.pin.version \
        user.pin.nope user.other \
        security.pinfs_test system.pinfs_test; do
        assert_eq "$(probe setxattr "$f" "$n" 5)" ENOTSUP "setxattr $n"
    done
    for n in user.pin.nope user.other security.selinux security.capability system.pinfs_test trusted.pinfs_test; do
        assert_eq "$(probe getxattr "$f" "$n")" ENODATA "getxattr $n"
    done
    assert_eq "$(probe removexattr "$f" user.pin.id)" ENOTSUP "removexattr user.pin.id"
    assert_eq "$(probe getxattr "$f" user.pin.id)" "OK $id" "user.pin.id unchanged"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "7200|set" "row after the refused changes"

    step "remove user.pin.ttl"
    setfattr -x user.pin.ttl "$f"
    assert_eq "$(probe getxattr "$f" user.pin.ttl)" ENODATA "ttl after removing it"
    assert_eq "$(probe getxattr "$f" user.pin.expires_at)" ENODATA "expires_at after removing the TTL"
    assert_eq "$(rt_xattrs "$f")" "user.pin.created_at user.pin.id user.pin.source user.pin.updated_at user.pin.version" "listxattr after removing the TTL"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "none|null" "row after removing the TTL"
    attr -q -s pin.ttl -V 60 "$f"
    attr -q -r pin.ttl "$f"
    assert_eq "$(rt_ttl_row "$be" "$t" k)" "none|null" "row after attr -s then attr -r"
    assert_eq "$(cat "$f")" $'{\n  "a": 1\n}' "the value at the end"
}

# --- fault- helpers ---
# Used by cases/fault-*.sh (load while PostgreSQL restarts, fails over or
# blocks; the daemon killed; resource limits). Every name starts with ft_.
# A case calls ft_trap first: its EXIT trap (ft_cleanup) stops the case's
# background processes (by pid), stops the private PostgreSQL clusters it
# started (pg_ctl, by data dir) and starts the harness's cluster again if
# the case left it stopped.

FT_LOAD="$PIT_SRC/tests/integration/fault/load.py"
FT_PY=/usr/bin/python3
FT_BG_PIDS=()
FT_AT_EXIT=()
FT_CLUSTERS=()
FT_PG_TOUCHED=0
# The options run.sh starts the harness's cluster with.
FT_PG_OPTS="-k $PIT_PG_SOCK -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"

# ft_trap: installs ft_cleanup as the EXIT trap (TERM from run.sh's timeout exits through it).
ft_trap()
{
    trap ft_cleanup EXIT
    trap 'exit 143' TERM
}

# ft_bg PID: a background process of the case, stopped by ft_cleanup.
ft_bg()
{
    FT_BG_PIDS+=("$1")
}

# ft_at_exit CMD: a shell command ft_cleanup runs first (errors ignored).
ft_at_exit()
{
    FT_AT_EXIT+=("$1")
}

ft_pg_ctl()
{
    (cd "$PIT_WORK" && runuser -u postgres -- "$PIT_PG_BIN/pg_ctl" "$@")
}

ft_cleanup()
{
    local rc=$? pid d i c
    set +e
    for c in "${FT_AT_EXIT[@]}"; do
        eval "$c" >/dev/null 2>&1
    done
    for pid in "${FT_BG_PIDS[@]}"; do
        if pid_running "$pid"; then
            kill -TERM "$pid" 2>/dev/null
            for ((i = 0; i < 50; i++)); do
                pid_running "$pid" || break
                sleep 0.1
            done
            pid_running "$pid" && kill -KILL "$pid" 2>/dev/null
        fi
    done
    for d in "${FT_CLUSTERS[@]}"; do
        if [[ -f "$d/postmaster.pid" ]]; then
            ft_pg_ctl -D "$d" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
                echo "ft_cleanup: pg_ctl stop -D $d failed" >&2
        fi
    done
    if ((FT_PG_TOUCHED)) && ! ft_pg_ctl -D "$PIT_WORK/pg/data" status >/dev/null 2>&1; then
        echo "ft_cleanup: starting the harness's PostgreSQL again" >&2
        ft_pg_ctl -D "$PIT_WORK/pg/data" -l "$PIT_WORK/pg/postgres.log" -w -t 60 -o "$FT_PG_OPTS" \
            start >/dev/null 2>&1 || echo "ft_cleanup: pg_ctl start failed" >&2
    fi
    return "$rc"
}

# ft_now: wall-clock seconds with milliseconds (what load.py's times are).
ft_now()
{
    date +%s.%3N
}

# ft_ms_since T: milliseconds since ft_now printed T.
ft_ms_since()
{
    echo $(($(date +%s%3N) - ${1/./}))
}

# ft_config EXTRA_JSON [BACKEND]: $CONFIG with one route "*" to BACKEND
# (default: the case database) and EXTRA_JSON merged into the top level.
ft_config()
{
    jq -n --arg be "${2:-postgresql:///$CASE_DB?host=$PIT_PG_SOCK}" --argjson x "$1" \
        '{mode: "saas", routes: [{tenant: "*", backend: $be}]} + $x' >"$CONFIG"
}

# ft_load ARGS...: tests/integration/fault/load.py (see its docstring).
ft_load()
{
    "$FT_PY" "$FT_LOAD" "$@"
}

# ft_load_bg OUTFILE ARGS...: ft_load in the background, stdout and stderr
# to OUTFILE; FT_LOAD_PID is python's own pid (signals reach load.py).
ft_load_bg()
{
    local out=$1
    shift
    (exec "$FT_PY" "$FT_LOAD" "$@" >"$out" 2>&1) &
    FT_LOAD_PID=$!
    ft_bg "$FT_LOAD_PID"
}

# ft_locker SQL: another session of the case database runs "BEGIN; SQL;
# SELECT pg_sleep(45); COMMIT" in the background (FT_LOCKER_PID), so it
# holds what SQL locked until ft_locker_stop or the end of the case. The
# server side outlives a killed psql (pg_sleep does not notice the client
# is gone): however the case ends, ft_cleanup ends that session.
ft_locker()
{
    "$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "$CASE_DB" \
        -c "BEGIN; $1; SELECT pg_sleep(45); COMMIT;" >/dev/null 2>&1 &
    FT_LOCKER_PID=$!
    ft_bg "$FT_LOCKER_PID"
    ft_at_exit ft_locker_stop
}

# ft_locker_stop: ends ft_locker's session (its locks go with it).
ft_locker_stop()
{
    pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE query LIKE '%pg_sleep(45)%' AND pid <> pg_backend_pid()" >/dev/null
    wait "$FT_LOCKER_PID" 2>/dev/null || true
}

# ft_check_sessions MAX WHY: adds to the case's violations array if pinfs
# left a session of the case database idle in a transaction, or holds more
# than MAX sessions (WHY says what MAX is made of); sets FT_SESSIONS.
ft_check_sessions()
{
    local idle_tx
    read -r idle_tx FT_SESSIONS < <(pg_sql "SELECT count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
                                                   count(*)
                                            FROM pg_stat_activity WHERE application_name = 'pinfs'
                                             AND datname = current_database()" -F ' ')
    ((idle_tx == 0)) || violations+=("$idle_tx pinfs connections left idle in a transaction")
    ((FT_SESSIONS <= $1)) || violations+=("pinfs holds $FT_SESSIONS connections ($2)")
}

# ft_field JSONFILE|- FIELD: one field of the first JSON line of a file
# (jq syntax, e.g. .acknowledged or .detail.failed_eio_at_close // 0).
ft_field()
{
    grep -m1 '^{' -- "$1" | jq -r "$2"
}

# ft_assert_zero FILE FIELD...: each field of FILE's JSON line is 0.
ft_assert_zero()
{
    local file=$1 f v
    shift
    for f in "$@"; do
        v=$(ft_field "$file" ".$f")
        [[ "$v" == 0 ]] || fail "$f = $v in $(basename -- "$file") (expected 0)"
    done
}

# ft_assert_only_eio_reads FILE: load.py's reads failed with no errno but EIO.
ft_assert_only_eio_reads()
{
    assert_eq "$(ft_field "$1" '[.detail | to_entries[] | select(.key | startswith("read_error_")) | select(.key != "read_error_EIO")] | length')" 0 \
        "read errors other than EIO"
}

# ft_check_harness_db RESUME_AFTER: "load.py check" of $CASE_DIR/load.json
# against the case database in the harness's cluster and through the mount
# (output in $CASE_DIR/check.out); fails on lost, mismatched or phantom rows.
ft_check_harness_db()
{
    local rc=0
    ft_load check --state "$CASE_DIR/load.json" --psql "$PIT_PG_BIN/psql" --host "$PIT_PG_SOCK" --db "$CASE_DB" \
        --mnt "$MNT" --resume-after "$1" >"$CASE_DIR/check.out" 2>&1 || rc=$?
    cat -- "$CASE_DIR/check.out" >&2
    ((rc == 0)) || fail "check found lost, mismatched or phantom rows (above)"
    ft_assert_zero "$CASE_DIR/check.out" lost mismatched phantom cur_bad shared_bad mount_lost mount_mismatched
}

# ft_postmaster_pid: the harness cluster's postmaster pid.
ft_postmaster_pid()
{
    head -n 1 "$PIT_WORK/pg/data/postmaster.pid" 2>/dev/null
}

# ft_pg_restart: "pg_ctl restart -m fast" of the harness's cluster, same
# socket dir, port and settings (ft_cleanup starts it if this fails).
ft_pg_restart()
{
    FT_PG_TOUCHED=1
    ft_pg_ctl -D "$PIT_WORK/pg/data" -l "$PIT_WORK/pg/postgres.log" -m fast -w -t 60 \
        -o "$FT_PG_OPTS" restart >/dev/null || fail "pg_ctl restart -m fast failed"
}

# ft_pg_stop: "pg_ctl stop -m fast" of the harness's cluster (ft_cleanup
# starts it again if the case does not).
ft_pg_stop()
{
    FT_PG_TOUCHED=1
    ft_pg_ctl -D "$PIT_WORK/pg/data" -m fast -w -t 30 stop >/dev/null || fail "pg_ctl stop -m fast failed"
}

# ft_pg_start: starts the harness's cluster again (same socket dir, port, settings).
ft_pg_start()
{
    ft_pg_ctl -D "$PIT_WORK/pg/data" -l "$PIT_WORK/pg/postgres.log" -w -t 60 -o "$FT_PG_OPTS" \
        start >/dev/null || fail "pg_ctl start failed"
}

# ft_busy N NICE CPU: N busy loops at nice NICE on CPU (taskset), in the
# background, to load the machine on purpose; FT_BUSY_PIDS lists them.
# ft_busy_stop stops them (by pid), and so does ft_cleanup.
FT_BUSY_PIDS=()
ft_busy()
{
    local i
    for ((i = 0; i < $1; i++)); do
        nice -n "$2" taskset -c "$3" bash -c 'while :; do :; done' &
        FT_BUSY_PIDS+=("$!")
        ft_bg "$!"
    done
}

ft_busy_stop()
{
    local pid
    for pid in "${FT_BUSY_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    FT_BUSY_PIDS=()
}

# ---- private clusters (primary/standby), in the case dir ----
# Cluster NAME lives in $CASE_DIR/NAME: data/ (0700), sock/ (its socket
# directory, no TCP), postgres.log. Port numbers only name the socket file.

# ft_cluster_dir NAME
ft_cluster_dir()
{
    echo "$CASE_DIR/$1"
}

# ft_cluster_start NAME PORT [postgres -c options...]
ft_cluster_start()
{
    local d
    d=$(ft_cluster_dir "$1")
    local port=$2 o
    shift 2
    o="-k $d/sock -p $port -c listen_addresses='' -c fsync=off -c full_page_writes=off $*"
    ft_pg_ctl -D "$d/data" -l "$d/postgres.log" -w -t 60 -o "$o" start >/dev/null || {
        tail -n 30 -- "$d/postgres.log" >&2
        fail "pg_ctl start of cluster $1 failed"
    }
}

# ft_cluster_init NAME PORT [postgres -c options...]: initdb (trust, C
# locale) and start; creates role root (superuser, as run.sh does).
ft_cluster_init()
{
    local d
    d=$(ft_cluster_dir "$1")
    mkdir -p -- "$d/data" "$d/sock"
    chown -R postgres: -- "$d"
    chmod 700 -- "$d/data"
    FT_CLUSTERS+=("$d/data")
    (cd "$PIT_WORK" && runuser -u postgres -- "$PIT_PG_BIN/initdb" -D "$d/data" -A trust -U postgres \
        -E UTF8 --locale=C --no-sync) >"$d/initdb.log" 2>&1 || {
        cat -- "$d/initdb.log" >&2
        fail "initdb of cluster $1 failed"
    }
    ft_cluster_start "$@"
    ft_cluster_sql "$1" "$2" postgres "CREATE ROLE root SUPERUSER LOGIN" -U postgres >/dev/null
}

# ft_cluster_standby NAME PORT PRIMARY PRIMARY_PORT: a streaming standby of
# PRIMARY (pg_basebackup -R over PRIMARY's socket), started.
ft_cluster_standby()
{
    local d p
    d=$(ft_cluster_dir "$1")
    p=$(ft_cluster_dir "$3")
    mkdir -p -- "$d/sock"
    chown -R postgres: -- "$d"
    FT_CLUSTERS+=("$d/data")
    (cd "$PIT_WORK" && runuser -u postgres -- "$PIT_PG_BIN/pg_basebackup" -h "$p/sock" -p "$4" \
        -U postgres -D "$d/data" -R -X stream -c fast --no-sync) >"$d/basebackup.log" 2>&1 || {
        cat -- "$d/basebackup.log" >&2
        fail "pg_basebackup of $3 into $1 failed"
    }
    chmod 700 -- "$d/data"
    ft_cluster_start "$1" "$2"
}

# ft_cluster_sql NAME PORT DB SQL [psql args...]
ft_cluster_sql()
{
    local d
    d=$(ft_cluster_dir "$1")
    local port=$2 db=$3 sql=$4
    shift 4
    "$PIT_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h "$d/sock" -p "$port" -d "$db" "$@" -c "$sql"
}

# ft_cluster_stop NAME [MODE]: pg_ctl stop (default mode fast).
ft_cluster_stop()
{
    ft_pg_ctl -D "$(ft_cluster_dir "$1")/data" -m "${2:-fast}" -w -t 60 stop >/dev/null ||
        fail "pg_ctl stop of cluster $1 failed"
}

# ft_cluster_promote NAME: pg_ctl promote, waiting until it is done.
ft_cluster_promote()
{
    ft_pg_ctl -D "$(ft_cluster_dir "$1")/data" -w -t 60 promote >/dev/null ||
        fail "pg_ctl promote of cluster $1 failed"
}

# ---- memory ----

# ft_rss_kb PID: VmRSS of PID in KiB (empty if it is gone).
ft_rss_kb()
{
    awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# ft_rss_sampler PID OUTFILE [INTERVAL]: samples VmRSS every INTERVAL s
# (default 0.2) into OUTFILE ("EPOCH_MS KIB" lines) until PID exits or the
# sampler is stopped; sets FT_SAMPLER_PID (also stopped by ft_cleanup).
ft_rss_sampler()
{
    local pid=$1 out=$2 every=${3:-0.2}
    (
        while kb=$(ft_rss_kb "$pid") && [[ -n "$kb" ]]; do
            echo "$(date +%s%3N) $kb"
            sleep "$every"
        done
    ) >"$out" 2>/dev/null &
    FT_SAMPLER_PID=$!
    ft_bg "$FT_SAMPLER_PID"
}

# ft_rss_stop: stops the sampler started last.
ft_rss_stop()
{
    kill -TERM "$FT_SAMPLER_PID" 2>/dev/null || true
    wait "$FT_SAMPLER_PID" 2>/dev/null || true
}

# ft_rss_peak FILE [FROM_MS [TO_MS]]: the largest sample (KiB) in a window.
ft_rss_peak()
{
    awk -v a="${2:-0}" -v b="${3:-99999999999999}" '$1 >= a && $1 <= b && $2 > m { m = $2 } END { print m + 0 }' "$1"
}

# ft_asan: the daemon under test was built with AddressSanitizer (its
# quarantine keeps freed memory resident, so RSS bounds do not apply).
ft_asan()
{
    ldd "$PINFS" 2>/dev/null | grep -q 'libasan' || grep -qa '__asan_init' "$PINFS"
}

# ft_report LINE: a result line (the counts a case checked) in the case log
# and, since run.sh shows a case's log only when it fails, also on run.sh's
# own standard output, just above the case's PASS/FAIL line. run.sh is
# found by walking up the parent processes; its stdout is opened for
# appending, so a log file it writes to is never overwritten.
ft_report()
{
    local pid=$$ i args
    echo "$*" >&2
    for ((i = 0; i < 8 && pid > 1; i++)); do
        mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || args=()
        if [[ "${args[1]:-}" == */run.sh ]]; then
            printf '  %s: %s (%d s)\n' "$CASE_NAME" "$*" "$SECONDS" >>"/proc/$pid/fd/1" 2>/dev/null || true
            return 0
        fi
        pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) || break
    done
}

# --- route-pgbouncer helpers ---
# Used by cases/route-pgbouncer-*.sh: a private PgBouncer (the distribution's
# binary) in transaction-pooling mode in front of the harness's PostgreSQL.
# It runs as postgres from $PGB_DIR (its config, log and Unix socket; no
# TCP) and is stopped by its pid when the case ends. Names start with pgb_.

PGB_DIR=$CASE_DIR/pgbouncer
PGB_SOCK=$PGB_DIR/sock
PGB_PORT=6432
PGB_PID=

# pgb_require: skips the case unless a pgbouncer binary is installed.
pgb_require()
{
    PGB_BIN=$(command -v pgbouncer) || skip "pgbouncer is not installed (Debian: pgbouncer)"
}

# pgb_start POOL_SIZE: writes $PGB_DIR/pgbouncer.ini (pool_mode transaction,
# trust, at most POOL_SIZE server connections per database, admin user
# root, ignore_startup_parameters left empty as shipped) and starts it in
# the foreground as postgres; waits (10 s) until its admin console answers.
# Installs pgb_stop as the EXIT trap.
pgb_start()
{
    local pool=$1 i
    mkdir -p -- "$PGB_SOCK"
    printf '"root" ""\n"postgres" ""\n' >"$PGB_DIR/userlist.txt"
    cat >"$PGB_DIR/pgbouncer.ini" <<EOI
[databases]
* = host=$PIT_PG_SOCK
[pgbouncer]
listen_addr =
listen_port = $PGB_PORT
unix_socket_dir = $PGB_SOCK
auth_type = trust
auth_file = $PGB_DIR/userlist.txt
admin_users = root
pool_mode = transaction
default_pool_size = $pool
max_db_connections = $pool
reserve_pool_size = 0
max_client_conn = 64
server_login_retry = 1
stats_period = 1
EOI
    chown -R postgres: -- "$PGB_DIR"
    trap pgb_stop EXIT
    trap 'exit 143' TERM
    setpriv --reuid postgres --regid postgres --init-groups \
        env -i PATH=/usr/bin:/bin LC_ALL=C HOME="$PGB_DIR" \
        "$PGB_BIN" "$PGB_DIR/pgbouncer.ini" </dev/null >"$PGB_DIR/pgbouncer.log" 2>&1 &
    PGB_PID=$!
    for ((i = 0; i < 100; i++)); do
        if pgb_admin "SHOW VERSION" >/dev/null 2>&1; then
            step "pgbouncer pid $PGB_PID: $(pgb_admin "SHOW VERSION"), pool_mode transaction, pool $pool"
            return 0
        fi
        pid_running "$PGB_PID" || break
        sleep 0.1
    done
    cat -- "$PGB_DIR/pgbouncer.log" >&2
    fail "pgbouncer did not start"
}

# pgb_stop: stops our pgbouncer (SIGTERM, then SIGKILL after 5 s), by pid.
pgb_stop()
{
    local rc=$? i
    if [[ -n "$PGB_PID" ]] && pid_running "$PGB_PID"; then
        kill -TERM "$PGB_PID" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            pid_running "$PGB_PID" || break
            sleep 0.1
        done
        if pid_running "$PGB_PID"; then
            echo "pgb_stop: pgbouncer $PGB_PID ignored SIGTERM, sending SIGKILL" >&2
            kill -KILL "$PGB_PID" 2>/dev/null || true
        fi
        wait "$PGB_PID" 2>/dev/null || true
    fi
    PGB_PID=
    return "$rc"
}

# pgb_uri [DB]: the libpq URI of DB (default: the case database) through pgbouncer.
pgb_uri()
{
    echo "postgresql:///${1:-$CASE_DB}?host=$PGB_SOCK&port=$PGB_PORT"
}

# pgb_admin SQL: a command on pgbouncer's admin console ("a|b" per row).
pgb_admin()
{
    "$PIT_PG_BIN/psql" -XAtq -h "$PGB_SOCK" -p "$PGB_PORT" -U root -d pgbouncer -c "$1"
}

# pgb_show WHAT COLUMN [FILTER_COLUMN=VALUE...]: COLUMN of the rows of
# "SHOW WHAT" whose columns have these values, one per line.
pgb_show()
{
    local what=$1 col=$2
    shift 2
    "$PIT_PG_BIN/psql" -XAq -F $'\t' -h "$PGB_SOCK" -p "$PGB_PORT" -U root -d pgbouncer \
        -c "SHOW $what" | awk -F '\t' -v what="$what" -v col="$col" -v filters="$*" '
        NR == 1 {
            for (i = 1; i <= NF; i++) idx[$i] = i
            if (!(col in idx)) { print "pgb_show: SHOW " what " has no column " col > "/dev/stderr"; exit 2 }
            n = split(filters, f, " ")
            next
        }
        /^\([0-9]+ rows?\)$/ { next }
        {
            for (j = 1; j <= n; j++) {
                split(f[j], kv, "=")
                if ($(idx[kv[1]]) != kv[2]) next
            }
            print $(idx[col])
        }'
}

# --- held-handle helpers (rv_) ---
# Used by cases/rbac-revoked-*.sh: processes of other uids that opened
# descriptors while they had access and keep them, answering one command
# per line. Every name starts with rv_.

declare -A RV_W RV_R RV_PIDS

# rv_hold NAME UID TENANT_DIR: starts, as UID, a holder called NAME with its
# cwd in TENANT_DIR, directory descriptors on TENANT_DIR and on its parent
# (the mount's root), a read descriptor on TENANT_DIR/r and a read-write
# one on TENANT_DIR/w (both must exist); waits until it has opened them.
# Ask it with rv_ask NAME; rv_stop ends them all.
rv_hold()
{
    local name=$1 uid=$2 dir=$3 line
    # each holder is a coprocess of its own (bash warns that the last one still runs)
    cat >"$CASE_DIR/rv_holder.py" <<'PY'
import errno, os, sys
def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))
d = sys.argv[1]
try:
    os.chdir(d)
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    rootfd = os.open(os.path.dirname(d), os.O_RDONLY | os.O_DIRECTORY)
    rfd = os.open(os.path.join(d, "r"), os.O_RDONLY)
    wfd = os.open(os.path.join(d, "w"), os.O_RDWR)
    wsize = os.fstat(wfd).st_size
except OSError as e:
    print("open", err(e), flush=True)
    sys.exit(1)
print("ready", flush=True)
for line in sys.stdin:
    op, _, arg = line.rstrip("\n").partition(" ")
    try:
        if op == "stat":        # fstatat(dirfd, NAME): size and mtime
            st = os.stat(arg, dir_fd=dfd)
            out = "OK %d %d" % (st.st_size, st.st_mtime_ns)
        elif op == "cwdstat":   # stat(NAME) relative to the cwd
            st = os.stat(arg)
            out = "OK %d" % st.st_size
        elif op == "list":      # readdir through the held directory descriptor
            os.lseek(dfd, 0, os.SEEK_SET)
            out = "OK " + " ".join(sorted(os.listdir(dfd)))
        elif op == "rootlist":  # readdir through the held descriptor on the root
            os.lseek(rootfd, 0, os.SEEK_SET)
            out = "OK " + " ".join(sorted(os.listdir(rootfd)))
        elif op == "read":      # a new read pass on the held read descriptor
            out = "OK " + os.pread(rfd, 65536, 0).decode().replace("\n", "")
        elif op == "fstat":     # fstat of the held read descriptor
            out = "OK %d" % os.fstat(rfd).st_size
        elif op == "fgetxattr":
            out = "OK " + os.getxattr(rfd, arg).decode()
        elif op == "pwrite":    # pwrite then fsync on the held read-write descriptor
            try:
                # a whole new value over the old one (padded: JSON ends in blanks)
                os.pwrite(wfd, arg.ljust(wsize).encode(), 0)
            except OSError as e:
                out = "pwrite=" + err(e)
            else:
                os.fsync(wfd)
                out = "OK"
        elif op == "wread":     # a read on the held read-write descriptor
            out = "OK " + os.pread(wfd, 65536, 0).decode().replace("\n", "")
        elif op == "getcwd":
            out = "OK " + os.getcwd()
        else:
            out = "unknown " + op
    except OSError as e:
        out = err(e)
    print(out, flush=True)
PY
    chmod 644 "$CASE_DIR/rv_holder.py"
    eval "coproc RV_$name { rb_exec_as \"\$uid\" /usr/bin/python3 \"\$CASE_DIR/rv_holder.py\" \"\$dir\"; }"
    eval "RV_PIDS[\$name]=\$RV_${name}_PID"
    # plain descriptors: bash closes a coprocess's own in pipelines
    local w r
    eval "exec {w}>&\"\${RV_$name[1]}\" {r}<&\"\${RV_$name[0]}\""
    RV_W[$name]=$w
    RV_R[$name]=$r
    read -r -t 10 line <&"$r" || line="(no answer)"
    [[ "$line" == ready ]] || fail "holder $name did not open its descriptors: $line"
}

# rv_ask NAME COMMAND [ARG]: one command to holder NAME; prints its answer.
rv_ask()
{
    local name=$1 line
    shift
    echo "$*" >&"${RV_W[$name]}"
    read -r -t 10 line <&"${RV_R[$name]}" || line="(no answer)"
    printf '%s\n' "$line"
}

# rv_stop: ends every holder (closing its descriptors).
rv_stop()
{
    local name
    for name in "${!RV_PIDS[@]}"; do
        exec {RV_W[$name]}>&- {RV_R[$name]}<&-
        kill "${RV_PIDS[$name]}" 2>/dev/null || true
        wait "${RV_PIDS[$name]}" 2>/dev/null || true
        unset "RV_PIDS[$name]"
    done
}

# rv_setup_tenant DIR: tenant DIR with pins r and w (the holder's) and old.
rv_setup_tenant()
{
    mkdir "$1"
    echo '{"r":1}' >"$1/r"
    echo '{"w":1}' >"$1/w"
    echo '{"old":1}' >"$1/old"
}

# rv_assert_cut_off NAME DIR ROW_CMD...: holder NAME (rv_hold on DIR),
# which lost access to DIR's tenant, learns and changes nothing through what
# it holds, within 1 s, while root keeps the kernel's caches warm: a key
# root creates and lists afterwards, keys that existed, the cwd, its
# directory, read, read-write and xattr access through held descriptors.
# ROW_CMD prints the stored value of DIR/w (it must not change).
rv_assert_cut_off()
{
    local h=$1 dir=$2 before
    shift 2
    before=$("$@")
    step "root creates and lists a key after the revocation"
    echo '{"fresh":1}' >"$dir/fresh"
    echo '{"r":2}' >"$dir/r"
    ls -l "$dir" >/dev/null
    stat "$dir/fresh" "$dir/r" "$dir/old" >/dev/null
    cat "$dir/fresh" >/dev/null
    assert_eq "$(rb_poll 1 EACCES rv_ask "$h" stat fresh)" EACCES "fstatat(dirfd, a key created after)"
    assert_eq "$(rv_ask "$h" stat old)" EACCES "fstatat(dirfd, a key that existed)"
    assert_eq "$(rv_ask "$h" stat nothere)" EACCES "fstatat(dirfd, a missing key)"
    assert_eq "$(rv_ask "$h" cwdstat fresh)" EACCES "stat relative to the cwd"
    assert_eq "$(rv_ask "$h" list)" EACCES "readdir of the held directory descriptor"
    assert_eq "$(rv_ask "$h" read)" EACCES "read of the held read descriptor"
    assert_eq "$(rv_ask "$h" fstat)" EACCES "fstat of the held read descriptor"
    assert_eq "$(rv_ask "$h" fgetxattr user.pin.id)" EACCES "fgetxattr of the held read descriptor"
    assert_eq "$(rv_ask "$h" wread)" EACCES "read of the held read-write descriptor"
    assert_eq "$(rv_ask "$h" pwrite '{"w":666}')" "pwrite=EACCES" "pwrite on the held read-write descriptor"
    assert_eq "$("$@")" "$before" "the stored value of w is unchanged"
    step "root's view is intact"
    assert_eq "$(cat "$dir/fresh")" $'{\n  "fresh": 1\n}' "root reads fresh"
    assert_eq "$(ls "$dir" | tr '\n' ' ')" "fresh old r w " "root lists"
}

# rv_assert_unharmed NAME DIR: holder NAME, which kept access to DIR's
# tenant, still sees it whole through what it holds (after rv_assert_cut_off
# created DIR/fresh and rewrote DIR/r): nothing of a revocation is its loss.
rv_assert_unharmed()
{
    local h=$1 dir=$2
    assert_match "$(rv_ask "$h" stat fresh)" '^OK 17 ' "kept access: fstatat(dirfd, fresh)"
    assert_eq "$(rv_ask "$h" cwdstat fresh)" "OK 17" "kept access: stat relative to the cwd"
    assert_eq "$(rv_ask "$h" getcwd)" "OK $dir" "kept access: getcwd"
    assert_eq "$(rv_ask "$h" list)" "OK fresh old r w" "kept access: readdir"
    assert_eq "$(rv_ask "$h" read)" 'OK {  "r": 2}' "kept access: read"
    assert_eq "$(rv_ask "$h" fstat)" "OK 13" "kept access: fstat"
}

# rv_case HOW BACKEND: uid 20003 holds a cwd, a directory descriptor and
# open descriptors in tenant "hidden" (and one on the root) while it may
# read and write there, then loses hidden by HOW: "reload" (a policy
# reload), "unbind" (": > /.system/credentials") or "expiry" (its bound
# token expires). Within 1 s it learns and changes nothing more through
# them (rv_assert_cut_off), its held root lists only "mine", which it
# keeps, and uid 20004, holding the same in hidden, loses nothing. A
# descriptor root opened does not read for a uid without rights.
# BACKEND: "pg" (the feed is up: key entries and attributes are cached)
# or "sqlite" (hidden on an SQLite file). Mounts and unmounts.
rv_case()
{
    local how=$1 be=$2 hidden_be rowdb=pg u=20003 ttl=600 start tokens
    local kept='{"uid": 20004, "roles": ["machine"], "tenants": ["hidden"]}'
    local root='{"uid": 0, "roles": ["infra"], "tenants": ["*"]}'
    step "uid $u loses hidden by $how ($be)"
    rm -rf -- "$MNT" "$RB_POLICY_DIR" "$CASE_DIR/hidden.db"
    if [[ "$how" == reload ]]; then
        rb_policy "[$root, $kept, {\"uid\": $u, \"roles\": [\"machine\"], \"tenants\": [\"hidden\", \"mine\"]}]" true v1
    else
        rb_policy "[$root, $kept, {\"uid\": $u, \"roles\": [\"machine\"], \"tenants\": [\"mine\"]}]" true v1
    fi
    [[ -f "$RB_SECRET" ]] || rb_hs_secret
    tokens=$(rb_tokens_json HS256 "$RB_SECRET")
    hidden_be=$(rt_pg_uri)
    if [[ "$be" == sqlite ]]; then
        rowdb=$CASE_DIR/hidden.db
        hidden_be=$(rt_sqlite_uri "$rowdb")
    fi
    RT_EXTRA=$(jq -nc --arg p "$RB_POLICY" --argjson t "$tokens" '{policy: $p, tokens: $t}') \
        rt_config saas "hidden=$hidden_be" "*=$(rt_pg_uri)"
    rt_migrate
    mount_pinfs
    rv_setup_tenant "$MNT/hidden"
    mkdir -p "$MNT/mine"
    echo '{"m":1}' >"$MNT/mine/m"
    start=$(date +%s)
    if [[ "$how" != reload ]]; then
        [[ "$how" == expiry ]] && ttl=3
        assert_eq "$(rb_cred $u "$(rb_mint alice machine hidden,mine $ttl)")" "write=OK close=OK" \
            "uid $u binds a token for hidden and mine"
    fi
    rv_hold lost $u "$MNT/hidden"
    rv_hold kept 20004 "$MNT/hidden"
    assert_eq "$(rv_ask lost stat r | cut -d' ' -f1-2)" "OK 13" "while allowed: stat through the dirfd"
    assert_eq "$(rv_ask lost list)" "OK old r w" "while allowed: readdir"
    assert_eq "$(rv_ask lost read)" 'OK {  "r": 1}' "while allowed: read"
    assert_eq "$(rv_ask lost rootlist)" "OK hidden mine" "while allowed: readdir of /"
    assert_eq "$(rv_ask kept read)" 'OK {  "r": 1}' "the other holder reads"
    # A request on a descriptor is its caller's: one root opened, kept across
    # a setuid by a uid with no binding, does not read for that uid.
    assert_eq "$(rb_exec_as 20005 /usr/bin/python3 -c 'import errno, os
try:
    os.read(3, 100); print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])' 3<"$MNT/hidden/r")" EACCES "a descriptor root opened, read by an unbound uid"
    ls -l "$MNT/hidden" >/dev/null
    case $how in
    reload)
        rb_policy_save "[$root, $kept, {\"uid\": $u, \"roles\": [\"machine\"], \"tenants\": [\"mine\"]}]" true v2
        assert_eq "$(rb_poll 3 v2 jq -r .version "$MNT/.system/policy")" v2 "policy v2 loaded"
        ;;
    unbind)
        as_user $u sh -c ': >"$1"' _ "$MNT/.system/credentials"
        assert_eq "$(as_user $u cat "$MNT/.system/credentials" | jq -c .bound)" false "unbound"
        ;;
    expiry)
        # exp = start + 3 at the latest, then at most the 30 s leeway
        assert_eq "$(rb_poll $((start + 3 + 30 + 2 - $(date +%s))) EACCES \
            as_user $u probe stat "$MNT/hidden/old")" EACCES "the token expired"
        step "expired after $(($(date +%s) - start)) s"
        ;;
    esac
    assert_eq "$(as_user $u probe stat "$MNT/hidden/r")" EACCES "path walks are refused"
    rv_assert_cut_off lost "$MNT/hidden" \
        rt_db "$rowdb" "SELECT value FROM @pins WHERE tenant_id = 'hidden' AND key = 'w'"
    assert_eq "$(rv_ask lost rootlist)" "OK mine" "readdir of the held / shows what it may see now"
    assert_eq "$(as_user $u cat "$MNT/mine/m")" $'{\n  "m": 1\n}' "what uid $u kept still works"
    rv_assert_unharmed kept "$MNT/hidden"
    rv_stop
    umount_pinfs
}

# ---- locks and conditional commits (issue 16) ----

# lk_hold FILE MODE [UID]: starts a process (as UID, default root) that
# opens FILE and takes MODE on it (flock-ex, flock-sh, fcntl-wr, fcntl-rd),
# waiting as long as it takes, then holds it until killed. Returns once it
# holds the lock (10 s deadline); LK_PID is the holder.
lk_hold()
{
    local file=$1 mode=$2 uid=${3:-0} ready=$CASE_DIR/lk.d/ready.$RANDOM i
    # A directory every uid may leave its mark in.
    [[ -d "$CASE_DIR/lk.d" ]] || mkdir -m 1777 -- "$CASE_DIR/lk.d"
    rm -f -- "$ready"
    # Not through as_user: a function in the background is a subshell, and
    # LK_PID must be the holder itself (setpriv and env exec it).
    # shellcheck disable=SC2016
    setpriv --reuid "$uid" --regid "$uid" --clear-groups \
        env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/ /usr/bin/python3 -c '
import fcntl, os, sys, time
path, mode, ready = sys.argv[1:4]
f = open(path, "r+" if mode == "fcntl-wr" else "r")
if mode == "flock-ex":
    fcntl.flock(f, fcntl.LOCK_EX)
elif mode == "flock-sh":
    fcntl.flock(f, fcntl.LOCK_SH)
else:
    fcntl.lockf(f, fcntl.LOCK_EX if mode == "fcntl-wr" else fcntl.LOCK_SH)
open(ready, "w").close()
time.sleep(3600)' "$file" "$mode" "$ready" &
    LK_PID=$!
    for ((i = 0; i < 200; i++)); do
        [[ -e "$ready" ]] && return 0
        pid_running "$LK_PID" || fail "lk_hold $file $mode: the holder exited"
        sleep 0.05
    done
    fail "lk_hold $file $mode: no lock within 10 s"
}

# lk_stop PID: kills a holder (SIGKILL) and reaps it.
lk_stop()
{
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# lk_counter_workers MODE ROUNDS FILE...: one process per FILE (a pin's
# path on some mount; repeat it for several processes on one mount), each
# doing ROUNDS increments of the counter in it: read, +1, write. MODE
# flock: each under "flock FILE -c"; none: no lock, a short pause between
# the read and the write. Waits for all; a failed process fails the case.
lk_counter_workers()
{
    local mode=$1 rounds=$2 f p pids=()
    shift 2
    cat >"$CASE_DIR/lk-counter.sh" <<'SH'
export PIN=$2
for ((i = 0; i < $3; i++)); do
    if [[ $1 == flock ]]; then
        flock "$PIN" -c 'n=$(cat "$PIN") && echo $((n + 1)) >"$PIN"' || exit 1
    else
        { n=$(cat "$PIN") && sleep 0.002 && echo $((n + 1)) >"$PIN"; } || exit 1
    fi
done
SH
    for f in "$@"; do
        bash "$CASE_DIR/lk-counter.sh" "$mode" "$f" "$rounds" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || fail "a counter process ($mode) failed"
    done
}

# lk_free FILE: true when an exclusive flock on FILE can be had at once.
lk_free()
{
    [[ "$(probe flock "$1" ex-nb)" == OK ]]
}

# lk_cas_worker FILE N: a Python process doing N increments of the counter
# in FILE without a lock, each a conditional commit retried on ESTALE:
# open, the version of what it read (user.pin.version), the value,
# user.pin.expect_version, the new value, close. Prints how many commits
# were refused.
lk_cas_worker()
{
    /usr/bin/python3 - "$1" "$2" <<'PY'
import errno, os, sys
path, n = sys.argv[1], int(sys.argv[2])
refused = 0
for _ in range(n):
    while True:
        fd = os.open(path, os.O_RDWR)
        version = os.getxattr(fd, "user.pin.version")
        value = int(os.pread(fd, 4096, 0))
        os.setxattr(fd, "user.pin.expect_version", version)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"%d\n" % (value + 1), 0)
        try:
            os.close(fd)
            break
        except OSError as e:
            if e.errno != errno.ESTALE:
                raise
            refused += 1
print(refused)
PY
}
