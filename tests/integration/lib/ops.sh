# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for tests/integration/cases/ops-*.sh (installation, readiness,
# signals, seeding, secrets). Sourced by those cases after lib/common.sh;
# every name starts with ops_ (variables OPS_).
#
# "meson install" is tested for real: ops_install configures and builds the
# source tree with the default prefix (/usr/local) and installs it into a
# scratch DESTDIR, once per run. ops_in_installed_ns then runs a script in a
# private mount namespace where that DESTDIR's /usr/local is bind-mounted on
# /usr/local, so that mount(8), its helpers and systemd-analyze see exactly
# what a plain "meson install" gives, and nothing of it leaks to the host.
# Processes left in that namespace (a daemonized pinfs) are found by the
# namespace's identity (recorded in $CASE_DIR/ops-ns.id), never by name, and
# stopped by pid at exit.

OPS_ROOT="$PIT_WORK/ops-install"        # the DESTDIR
OPS_PREFIX=/usr/local
OPS_BG_PIDS=()
OPS_AT_EXIT=()

# ops_install: configures, builds and installs the tree into $OPS_ROOT once
# per run (later cases reuse it). Skips the case without meson or ninja.
ops_install()
{
    local build="$PIT_WORK/ops-build" log="$PIT_WORK/ops-install.log" lock="$PIT_WORK/ops-install.lock"
    command -v meson >/dev/null || skip "meson is not installed"
    command -v ninja >/dev/null || skip "ninja is not installed"
    (
        flock 9
        [[ -e "$OPS_ROOT/.done" ]] && exit 0
        rm -rf -- "$build" "$OPS_ROOT"
        {
            meson setup "$build" "$PIT_SRC" --prefix="$OPS_PREFIX" -Dtests=false \
                -Dintegration_tests=false &&
                ninja -C "$build" &&
                DESTDIR="$OPS_ROOT" meson install -C "$build" --no-rebuild
        } >"$log" 2>&1 || exit 1
        touch "$OPS_ROOT/.done"
    ) 9>"$lock" || {
        tail -n 40 -- "$log" >&2
        fail "meson setup/ninja/meson install of $PIT_SRC failed"
    }
    chmod 755 "$OPS_ROOT"
    step "installed into DESTDIR $OPS_ROOT (prefix $OPS_PREFIX)"
}

# ops_ns_pids: pids of the processes in the namespace ops_in_installed_ns made.
ops_ns_pids()
{
    local p ns ids
    ids=$(cat "$CASE_DIR/ops-ns.id" 2>/dev/null) || return 0
    for p in /proc/[0-9]*; do
        ns=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
        if grep -qxF -- "$ns" <<<"$ids"; then
            echo "${p#/proc/}"
        fi
    done
}

# ops_ns_cleanup: stops what is left in the namespace (SIGTERM, then
# SIGKILL), by pid. The namespace, and any mount in it, goes with its last
# process.
ops_ns_cleanup()
{
    local pids i
    # Inside the namespace the script's own shell is one of them: the outer
    # case cleans up after the namespace instead.
    [[ -z "${OPS_IN_NS:-}" ]] || return 0
    pids=$(ops_ns_pids)
    [[ -n "$pids" ]] || return 0
    echo "ops cleanup: stopping processes left in the test namespace: $pids" >&2
    # shellcheck disable=SC2086 # a list of pids
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [[ -n "$(ops_ns_pids)" ]] || return 0
        sleep 0.05
    done
    pids=$(ops_ns_pids)
    # shellcheck disable=SC2086
    [[ -z "$pids" ]] || kill -KILL $pids 2>/dev/null || true
}

# ops_in_installed_ns SCRIPT [ARGS...]: runs the bash script file SCRIPT in
# a private mount namespace with $OPS_ROOT/usr/local on /usr/local. The
# script runs with lib/common.sh sourced, in strict mode, and may use
# fail/assert_*/step. Returns its exit status.
ops_in_installed_ns()
{
    local script=$1 rc=0
    shift
    [[ -e "$OPS_ROOT/.done" ]] || fail "ops_in_installed_ns: call ops_install first"
    command -v unshare >/dev/null || skip "unshare is not installed (util-linux)"
    ops_trap
    # shellcheck disable=SC2016 # expanded by the inner bash
    OPS_IN_NS=1 unshare --mount --propagation private bash -c '
        set -euo pipefail
        readlink /proc/self/ns/mnt >>"$CASE_DIR/ops-ns.id"
        source "$PIT_SRC/tests/integration/lib/common.sh"
        source "$PIT_SRC/tests/integration/lib/ops.sh"
        mount --bind "$OPS_ROOT$OPS_PREFIX" "$OPS_PREFIX"
        set -euo pipefail
        set -E
        trap '"'"'((BASH_SUBSHELL)) || echo "FAILED at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND (status $?)" >&2'"'"' ERR
        script=$1
        shift
        source "$script"
    ' ops-ns "$script" "$@" || rc=$?
    return "$rc"
}

# ops_cleanup: the EXIT trap of ops cases: runs the OPS_AT_EXIT commands
# (newest first), stops the background processes (ops_bg) and whatever is
# left in the test namespace, all by pid.
ops_cleanup()
{
    local i pid
    set +e
    for ((i = ${#OPS_AT_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${OPS_AT_EXIT[i]}"
    done
    for pid in "${OPS_BG_PIDS[@]}"; do
        pid_running "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    ops_ns_cleanup
    return 0
}

# ops_trap: installs ops_cleanup as the EXIT trap (idempotent).
ops_trap()
{
    trap ops_cleanup EXIT
    trap 'exit 143' TERM
}

# ops_at_exit CMD: runs the shell command CMD when the case ends, however.
ops_at_exit()
{
    OPS_AT_EXIT+=("$1")
    ops_trap
}

# ops_bg PID: a background process ($!) to stop when the case ends.
ops_bg()
{
    OPS_BG_PIDS+=("$1")
    ops_trap
}

# ops_pids_of_exe EXE [ARG]: pids of processes running EXE (by /proc/PID/exe)
# whose command line contains ARG.
ops_pids_of_exe()
{
    local p
    for p in /proc/[0-9]*; do
        if [[ "$(readlink "$p/exe" 2>/dev/null)" == "$1" ]] &&
            { [[ -z "${2:-}" ]] || tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$2"; }; then
            echo "${p#/proc/}"
        fi
    done
}

# ops_children PID: pids whose parent is PID.
ops_children()
{
    local p stat
    for p in /proc/[0-9]*; do
        stat=$(cat "$p/stat" 2>/dev/null) || continue
        stat=${stat##*) }
        read -r _ ppid _ <<<"$stat"
        if [[ "$ppid" == "$1" ]]; then
            echo "${p#/proc/}"
        fi
    done
}

# ops_wait_gone PID SECONDS: waits until PID no longer runs; 1 if it still does.
ops_wait_gone()
{
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        pid_running "$1" || return 0
        sleep 0.05
    done
    return 1
}

# ops_wait_unmounted DIR SECONDS
ops_wait_unmounted()
{
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        is_mounted "$1" || return 0
        sleep 0.05
    done
    return 1
}

# ops_notify_listen SOCKET OUT: starts a datagram listener on SOCKET (a
# path) that appends each notification line to OUT as
# "LINE mounted=0|1 listed=0|1": whether $MNT was in /proc/self/mountinfo
# when the datagram arrived, and (for READY=1) whether listing $MNT worked
# then. Sets OPS_LISTENER_PID; stops by itself after 120 s.
ops_notify_listen()
{
    rm -f -- "$1"
    : >"$2"
    /usr/bin/python3 - "$1" "$MNT" "$2" <<'PY' &
import os, socket, sys
path, mnt, out = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(120)
with open(out, "a", buffering=1) as f:
    f.write("LISTENING\n")
    while True:
        try:
            msg = s.recv(8192).decode()
        except socket.timeout:
            break
        mounted = any(l.split()[4] == mnt for l in open("/proc/self/mountinfo"))
        listed = 0
        if "READY=1" in msg.split("\n"):
            try:
                os.listdir(mnt)
                listed = 1
            except OSError:
                pass
        for line in msg.split("\n"):
            f.write("%s mounted=%d listed=%d\n" % (line, mounted, listed))
PY
    OPS_LISTENER_PID=$!
    ops_bg "$OPS_LISTENER_PID"
    ops_wait_line "$2" '^LISTENING$' 5 || fail "the notify listener did not start"
}

# ops_wait_line OUT ERE SECONDS: waits until a line of OUT matches ERE.
ops_wait_line()
{
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -Eq -- "$2" "$1" && return 0
        sleep 0.05
    done
    echo "--- $1:" >&2
    cat -- "$1" >&2
    return 1
}
