#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Integration tests: real pinfs mounts, a real throwaway PostgreSQL cluster
# and real shell tools (the libfuse shell model; see STYLE.md section 9).
#
#   tests/integration/run.sh --build-dir DIR [FILTER...]
#
# FILTERs select cases whose name contains one of them. Each case is
# tests/integration/cases/NAME.sh, run in its own bash (lib/common.sh sourced)
# against its own database, a copy of a template migrated with
# `pinctl migrate up`. Prints PASS/FAIL/SKIP per case (with the case log and
# the daemon's stderr on failure) and, as the last line,
# "N passed, N failed, N skipped". Exit: 0 all passed, 77 nothing could run
# (missing /dev/fuse, fusermount3, PostgreSQL or root), 1 otherwise.
#
# Environment: PIT_KEEP_WORK=1 keeps the work dir; PIT_CASE_TIMEOUT (s, 120).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build_dir=
filters=()

usage()
{
    echo "usage: $0 --build-dir DIR [CASE-FILTER...]" >&2
    exit 2
}

while (($#)); do
    case $1 in
    --build-dir)
        (($# >= 2)) || usage
        build_dir=$2
        shift 2
        ;;
    --build-dir=*)
        build_dir=${1#*=}
        shift
        ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
        filters+=("$1")
        shift
        ;;
    esac
done
[[ -n "$build_dir" ]] || usage
build_dir=$(cd -- "$build_dir" && pwd)

# Tools run by the cases must be the system's, not root's pyenv/cargo shims.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE PGOPTIONS

# ---- select cases ------------------------------------------------------------

cases=()
for f in "$here"/cases/*.sh; do
    [[ -e "$f" ]] || continue
    name=$(basename -- "$f" .sh)
    if ((${#filters[@]})); then
        keep=0
        for pat in "${filters[@]}"; do
            if [[ "$name" == *"$pat"* ]]; then
                keep=1
            fi
        done
        ((keep)) || continue
    fi
    cases+=("$name")
done
if ((${#cases[@]} == 0)); then
    echo "run.sh: no case matches ${filters[*]:-(no cases in $here/cases)}" >&2
    echo "0 passed, 0 failed, 0 skipped"
    exit 1
fi

n_pass=0
n_fail=0
n_skip=0

skip_all()
{
    echo "run.sh: skipping the integration suite: $*"
    for c in "${cases[@]}"; do
        echo "SKIP $c"
    done
    echo "0 passed, 0 failed, ${#cases[@]} skipped"
    exit 77
}

# ---- prerequisites -------------------------------------------------------------

[[ "$(id -u)" == 0 ]] || skip_all "must run as root (mounts with allow_other, switches uids)"
[[ -c /dev/fuse ]] || skip_all "/dev/fuse is missing"
command -v fusermount3 >/dev/null || skip_all "fusermount3 is missing (Debian: fuse3)"
for tool in setpriv runuser mountpoint timeout; do
    command -v "$tool" >/dev/null || skip_all "$tool is missing"
done
# The highest installed version (sort -V: 9 before 10).
PIT_PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | while read -r d; do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" && -x "$d/psql" ]]; then
        echo "$d"
    fi
done | tail -n 1)
[[ -n "$PIT_PG_BIN" ]] || skip_all "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
id -u postgres >/dev/null 2>&1 || skip_all "no 'postgres' user to run initdb as"

for exe in pinfs pinctl tests/integration/probe; do
    if [[ ! -x "$build_dir/$exe" ]]; then
        echo "run.sh: $build_dir/$exe is missing: build first (ninja -C $build_dir)" >&2
        echo "0 passed, ${#cases[@]} failed, 0 skipped"
        exit 1
    fi
done

# ---- work dir and cleanup ------------------------------------------------------

PIT_WORK=$(mktemp -d /var/tmp/pinfs-it.XXXXXX)
chmod 755 "$PIT_WORK"
PIT_BIN=$PIT_WORK/bin
PIT_PG_SOCK=$PIT_WORK/pg/sock
pg_data=$PIT_WORK/pg/data
pg_log=$PIT_WORK/pg/postgres.log
pg_started=0
case_pid=
mkdir -p "$PIT_BIN" "$PIT_WORK/mounts.d" "$PIT_WORK/cases" "$PIT_PG_SOCK" "$pg_data"
chown -R postgres: "$PIT_WORK/pg"
chmod 700 "$pg_data"
# Copies every uid can execute (a clone under /root is not traversable).
cp "$build_dir/pinfs" "$build_dir/pinctl" "$build_dir/tests/integration/probe" "$PIT_BIN/"
chmod 755 "$PIT_BIN" "$PIT_BIN"/*
PIT_SRC=$(cd -- "$here/../.." && pwd)
export PIT_WORK PIT_BIN PIT_PG_BIN PIT_PG_SOCK PIT_SRC

# A pid is ours to stop only if it still runs our copy of pinfs.
is_our_pinfs()
{
    [[ "$(readlink "/proc/$1/exe" 2>/dev/null)" == "$PIT_BIN/pinfs" ]]
}

pid_running()
{
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat:0:1}" != Z ]]
}

mounted()
{
    awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# Unmounts every mount a case recorded and stops its daemon. Prints what it
# had to clean up; returns 1 if there was anything.
cleanup_mounts()
{
    local f pid mnt i left=0
    for f in "$PIT_WORK"/mounts.d/*; do
        [[ -e "$f" ]] || continue
        pid=$(basename -- "$f")
        mnt=$(cat -- "$f")
        if mounted "$mnt"; then
            left=1
            echo "cleanup: unmounting $mnt (pinfs pid $pid)"
            if ! fusermount3 -u -- "$mnt" 2>/dev/null && mounted "$mnt"; then
                fusermount3 -u -z -- "$mnt" || true
            fi
        fi
        for ((i = 0; i < 100; i++)); do
            pid_running "$pid" || break
            sleep 0.05
        done
        if pid_running "$pid" && is_our_pinfs "$pid"; then
            left=1
            echo "cleanup: pinfs pid $pid still running after unmount, sending SIGTERM"
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < 60; i++)); do
                pid_running "$pid" || break
                sleep 0.05
            done
            if pid_running "$pid" && is_our_pinfs "$pid"; then
                echo "cleanup: sending SIGKILL to pinfs pid $pid"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        rm -f -- "$f"
    done
    return $((left))
}

pg_ctl()
{
    (cd "$PIT_WORK" && runuser -u postgres -- "$PIT_PG_BIN/pg_ctl" "$@")
}

stop_postgres()
{
    local pid
    ((pg_started)) || return 0
    pg_started=0
    if ! pg_ctl -D "$pg_data" -m fast -w -t 30 stop >/dev/null 2>&1; then
        pid=$(head -n 1 "$pg_data/postmaster.pid" 2>/dev/null || true)
        if [[ -n "$pid" ]] && pid_running "$pid"; then
            echo "cleanup: pg_ctl stop failed, sending SIGQUIT to postmaster $pid"
            kill -QUIT "$pid" 2>/dev/null || true
        fi
    fi
}

# shellcheck disable=SC2317 # invoked by the trap
on_exit()
{
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    if [[ -n "$case_pid" ]] && pid_running "$case_pid"; then
        kill -TERM "$case_pid" 2>/dev/null
        wait "$case_pid" 2>/dev/null
    fi
    cleanup_mounts >&2
    stop_postgres
    if [[ "${PIT_KEEP_WORK:-0}" != 1 ]]; then
        rm -rf --one-file-system -- "$PIT_WORK"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM HUP

# ---- PostgreSQL ------------------------------------------------------------------

psql_admin()
{
    "$PIT_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h "$PIT_PG_SOCK" -d postgres "$@"
}

start_postgres()
{
    (cd "$PIT_WORK" && runuser -u postgres -- "$PIT_PG_BIN/initdb" -D "$pg_data" -A trust \
        -U postgres -E UTF8 --locale=C --no-sync) >"$PIT_WORK/pg/initdb.log" 2>&1 || {
        cat "$PIT_WORK/pg/initdb.log" >&2
        return 1
    }
    pg_started=1
    pg_ctl -D "$pg_data" -l "$pg_log" -w -t 60 \
        -o "-k $PIT_PG_SOCK -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || {
        cat "$pg_log" >&2
        return 1
    }
    # The daemon, pinctl and psql run as root and connect as role "root".
    psql_admin -U postgres -c "CREATE ROLE root SUPERUSER LOGIN"
    psql_admin -c "CREATE DATABASE tmpl"
    cat >"$PIT_WORK/tmpl.json" <<EOF
{"mode": "saas", "routes": [{"tenant": "*", "backend": "postgresql:///tmpl?host=$PIT_PG_SOCK"}]}
EOF
    "$PIT_BIN/pinctl" --config "$PIT_WORK/tmpl.json" migrate up >"$PIT_WORK/pg/migrate.log" 2>&1 || {
        echo "run.sh: pinctl migrate up on the template database failed:" >&2
        cat "$PIT_WORK/pg/migrate.log" >&2
        return 1
    }
}

echo "run.sh: work dir $PIT_WORK, PostgreSQL $("$PIT_PG_BIN/postgres" --version | awk '{print $3}')"
if ! start_postgres; then
    echo "run.sh: could not set up PostgreSQL"
    echo "0 passed, ${#cases[@]} failed, 0 skipped"
    exit 1
fi

# ---- cases ---------------------------------------------------------------------------

print_logs()
{
    local case_dir=$1 f
    echo "----- $(basename -- "$case_dir") log -----"
    cat -- "$case_dir/case.log"
    for f in "$case_dir"/pinfs-*.log; do
        [[ -e "$f" ]] || continue
        echo "----- daemon stderr: $(basename -- "$f") -----"
        tail -n 200 -- "$f"
    done
    echo "-----"
}

case_timeout=${PIT_CASE_TIMEOUT:-120}
idx=0
for name in "${cases[@]}"; do
    idx=$((idx + 1))
    CASE_NAME=$name
    CASE_DIR=$PIT_WORK/cases/$name
    CASE_DB=case_$idx
    export CASE_NAME CASE_DIR CASE_DB
    mkdir -p "$CASE_DIR/mnt"
    chmod 755 "$CASE_DIR" "$CASE_DIR/mnt"

    result=PASS
    note=
    if ! psql_admin -c "CREATE DATABASE \"$CASE_DB\" TEMPLATE tmpl" >"$CASE_DIR/case.log" 2>&1; then
        result=FAIL
        note="could not create database $CASE_DB"
    else
        start=$SECONDS
        rc=0
        # shellcheck disable=SC2016 # expanded by the inner bash
        timeout -k 10 "$case_timeout" bash -c 'source "$1"; pit_case_setup; source "$2"' case \
            "$here/lib/common.sh" "$here/cases/$name.sh" </dev/null >>"$CASE_DIR/case.log" 2>&1 &
        case_pid=$!
        wait "$case_pid" || rc=$?
        case_pid=
        case $rc in
        0) ;;
        77) result=SKIP ;;
        124 | 137)
            result=FAIL
            note="timed out after ${case_timeout} s"
            ;;
        *)
            result=FAIL
            note="exit status $rc"
            ;;
        esac
        if ! cleanup_mounts >>"$CASE_DIR/case.log" 2>&1 && [[ $result == PASS ]]; then
            result=FAIL
            note="the case left pinfs mounted or running"
        fi
        if [[ $result == PASS ]]; then
            for f in "$CASE_DIR"/pinfs-*.log; do
                [[ -e "$f" ]] || continue
                # shellcheck source=lib/common.sh
                if ! (source "$here/lib/common.sh" && check_daemon_log "$f") >>"$CASE_DIR/case.log" 2>&1; then
                    result=FAIL
                    note="suspicious daemon stderr"
                fi
            done
        fi
        echo "(case took $((SECONDS - start)) s)" >>"$CASE_DIR/case.log"
    fi

    case $result in
    PASS) n_pass=$((n_pass + 1)) ;;
    SKIP) n_skip=$((n_skip + 1)) ;;
    FAIL) n_fail=$((n_fail + 1)) ;;
    esac
    echo "$result $name"
    if [[ $result == FAIL ]]; then
        echo "  reason: $note"
        print_logs "$CASE_DIR"
    elif [[ $result == SKIP ]]; then
        grep -h '^SKIPPED:' "$CASE_DIR/case.log" | sed 's/^/  /' || true
    fi
    psql_admin -c "DROP DATABASE IF EXISTS \"$CASE_DB\"" >/dev/null 2>&1 || true
done

stop_postgres
final_rc=0
((n_fail == 0)) || final_rc=1
if ((n_pass == 0 && n_fail == 0)); then
    final_rc=77
fi
if [[ "${PIT_KEEP_WORK:-0}" == 1 ]]; then
    echo "run.sh: work dir kept: $PIT_WORK"
fi
# The summary is the last line of output (scripts/test.sh parses it): the
# EXIT trap prints only when it has something left over to clean up.
echo "$n_pass passed, $n_fail failed, $n_skip skipped"
exit "$final_rc"
