#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The benchmarks of the "Performance and coherence" issue, end to end:
#
#   sudo bench/run.sh [--quick] [--build-dir DIR] [--label TEXT] [--append FILE]
#                     [--commit REV] [--durable] [--profile] [--reps N] [--keep-work]
#
# Builds (meson setup build-bench -Dbuildtype=release, unless --build-dir
# names a build that has pinfs, pinctl and bench/pinbench), starts a private
# PostgreSQL as the postgres user on a unix socket under /var/tmp (like
# tests/integration/run.sh), migrates a database with `pinctl migrate up`,
# mounts pinfs on it (-f -o allow_other; tenant sqbench goes to an SQLite
# file, the embedded default's driver) and bindfs over a tmpfs, runs each
# pinbench loop on pinfs and on its baseline (bindfs, or libpq or SQLite
# directly),
# times `ls -l` of a 100,000-pin tenant while sampling the daemon's RSS, runs
# the two-mount coherence benchmark (a second pinfs daemon on the same
# database), measures the CPU time each loop costs in the client, the FUSE
# daemon and PostgreSQL, counts the FUSE requests of one cat / echo > / ls -l
# (pinfs -d and bindfs -d), and prints a Markdown report: every figure, its
# baseline, the ratio, the target and PASS/MISS. With --append FILE it also
# appends the report to FILE (bench/RESULTS.md). --profile loads
# pg_stat_statements and adds the SQL statements pinfs runs per read and per
# write (it costs PostgreSQL a little, so its figures are not the reference).
#
# On a machine that is busy with other work, run it as
# `nice -n -10 bench/run.sh ...`: every process it starts (PostgreSQL, both
# FUSE daemons, pinbench) inherits the niceness, so both sides of each ratio
# get the same head start.
#
# A benchmark is not a test: a MISS does not fail the run. Exit 0 when every
# figure was measured, 77 when a prerequisite is missing (not root, no
# /dev/fuse, no bindfs, no PostgreSQL: see scripts/install-deps.sh), 1 when
# something broke. Everything it mounts or starts is unmounted and stopped by
# pid at exit; nothing is killed by name.
#
# PostgreSQL runs with the integration harness's settings (fsync=off,
# synchronous_commit=off, full_page_writes=off): each pinfs close and each
# baseline upsert is still its own commit, so the durability of both sides
# is the same. --durable uses PostgreSQL's defaults instead.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
src=$(cd -- "$here/.." && pwd)

quick=0
build_dir=
label=
append=
commit=
durable=0
profile=0
reps=
keep_work=0

usage()
{
    sed -n '5,7p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
    exit 2
}

while (($#)); do
    case $1 in
    --quick) quick=1 ;;
    --durable) durable=1 ;;
    --profile) profile=1 ;;
    --keep-work) keep_work=1 ;;
    --build-dir | --label | --append | --commit | --reps)
        (($# >= 2)) || usage
        case $1 in
        --build-dir) build_dir=$2 ;;
        --label) label=$2 ;;
        --append) append=$2 ;;
        --commit) commit=$2 ;;
        --reps) reps=$2 ;;
        esac
        shift
        ;;
    -h | --help) usage ;;
    *) usage ;;
    esac
    shift
done
if [[ -n "$append" ]]; then
    append=$(realpath -m -- "$append")
fi

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE PGOPTIONS

# ---- sizes -------------------------------------------------------------------
# Full: 3-4 minutes on a 2-core VM, plus the `ls -l` of 100,000 pins (10 s
# with pinfs's caches, 6-8 minutes without: then it runs once, and is cut at
# LS_TIMEOUT). Each loop runs REPS times, pinfs and its baseline interleaved,
# and the median counts.
if ((quick)); then
    : "${reps:=1}"
    N_READ=200 R_READ=2
    N_WRITE=200 R_WRITE=1
    THREADS=8 N_PAR=25 R_PAR=1
    N_LS=2000 LS_RUNS=1
    N_COH=30
    N_COST=200
else
    : "${reps:=5}"
    N_READ=1000 R_READ=10
    N_WRITE=1000 R_WRITE=3
    THREADS=8 N_PAR=250 R_PAR=3
    N_LS=100000 LS_RUNS=2
    N_COH=300
    N_COST=1000
fi
# An `ls -l` of pinfs slower than LS_ONCE seconds is not repeated; one slower
# than LS_TIMEOUT seconds is stopped and reported as "> LS_TIMEOUT".
LS_ONCE=60
LS_TIMEOUT=600
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || usage

# ---- prerequisites -----------------------------------------------------------

skip()
{
    echo "bench/run.sh: cannot run: $*" >&2
    echo "bench/run.sh: install what is missing with: sudo bash scripts/install-deps.sh" >&2
    exit 77
}

[[ "$(id -u)" == 0 ]] || skip "must run as root (mounts tmpfs, allow_other, runs PostgreSQL as postgres)"
[[ -c /dev/fuse ]] || skip "/dev/fuse is missing"
for tool in fusermount3 bindfs runuser mountpoint timeout meson ninja; do
    command -v "$tool" >/dev/null || skip "$tool is missing"
done
PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | while read -r d; do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" && -x "$d/psql" ]]; then
        echo "$d"
    fi
done | tail -n 1)
[[ -n "$PG_BIN" ]] || skip "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
id -u postgres >/dev/null 2>&1 || skip "no 'postgres' user to run initdb as"

# ---- build -------------------------------------------------------------------

if [[ -z "$build_dir" ]]; then
    build_dir=$src/build-bench
    if [[ ! -f "$build_dir/meson-private/coredata.dat" ]]; then
        meson setup "$build_dir" "$src" -Dbuildtype=release >"$src/build-bench.setup.log" 2>&1 || {
            cat "$src/build-bench.setup.log" >&2
            echo "bench/run.sh: meson setup failed" >&2
            exit 1
        }
        rm -f -- "$src/build-bench.setup.log"
    fi
    ninja -C "$build_dir" pinfs pinctl bench/pinbench >/dev/null || {
        echo "bench/run.sh: the build failed (ninja -C $build_dir)" >&2
        exit 1
    }
fi
build_dir=$(cd -- "$build_dir" && pwd)
for exe in pinfs pinctl bench/pinbench; do
    if [[ ! -x "$build_dir/$exe" ]]; then
        echo "bench/run.sh: $build_dir/$exe is missing: build first (ninja -C $build_dir)" >&2
        exit 1
    fi
done
# The commit of the tree the build was made from (--commit overrides it).
build_src=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["directories"]["source"])' \
    "$build_dir/meson-info/meson-info.json" 2>/dev/null || echo "$src")
if [[ -z "$commit" ]]; then
    commit=$(git -C "$build_src" describe --always --dirty --abbrev=7 2>/dev/null ||
        echo "unknown (built from $build_src, not a git checkout)")
fi
buildtype=$(meson introspect --buildoptions "$build_dir" 2>/dev/null |
    python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))' \
        2>/dev/null || echo '?')

# Other work on the machine shows in every figure: note the load.
load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
if awk -v l="${load_start%% *}" 'BEGIN { exit !(l > 1.0) }'; then
    echo "bench/run.sh: warning: load average $load_start before starting; the figures will be noisy" >&2
fi

# ---- work dir and cleanup ----------------------------------------------------

W=$(mktemp -d /var/tmp/pinfs-bench.XXXXXX)
chmod 755 "$W"
BIN=$W/bin
SOCK=$W/pg/sock
PGDATA=$W/pg/data
mkdir -p "$BIN" "$SOCK" "$PGDATA" "$W/mnt" "$W/logs"
chown -R postgres: "$W/pg"
chmod 700 "$PGDATA"
cp "$build_dir/pinfs" "$build_dir/pinctl" "$build_dir/bench/pinbench" "$BIN/"
chmod 755 "$BIN" "$BIN"/*
PINFS=$BIN/pinfs
PINCTL=$BIN/pinctl
PINBENCH=$BIN/pinbench

pg_started=0
tmpfs_mounted=0
declare -A daemon_mnt=() # pid -> mount point, for every FUSE daemon we started
sampler_pid=

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

# A pid is ours to signal only while it still runs one of our binaries.
is_our_daemon()
{
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    [[ "$exe" == "$PINFS" || "$exe" == "$(command -v bindfs)" ]]
}

# stop_daemon PID: unmounts its mount point and waits for it to exit (then
# SIGTERM, SIGKILL). Sets STOP_RC to the daemon's exit status.
stop_daemon()
{
    local pid=$1 mnt=${daemon_mnt[$1]} i
    STOP_RC=0
    if mounted "$mnt"; then
        if ! fusermount3 -u -- "$mnt" 2>/dev/null && mounted "$mnt"; then
            fusermount3 -u -z -- "$mnt" || true
        fi
    fi
    for ((i = 0; i < 200; i++)); do
        pid_running "$pid" || break
        sleep 0.05
    done
    if pid_running "$pid" && is_our_daemon "$pid"; then
        echo "bench/run.sh: daemon $pid still running after unmounting $mnt, sending SIGTERM" >&2
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 60; i++)); do
            pid_running "$pid" || break
            sleep 0.05
        done
        if pid_running "$pid" && is_our_daemon "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || STOP_RC=$?
    unset "daemon_mnt[$pid]"
}

pg_ctl()
{
    (cd "$W" && runuser -u postgres -- "$PG_BIN/pg_ctl" "$@")
}

stop_postgres()
{
    local pid
    ((pg_started)) || return 0
    pg_started=0
    if ! pg_ctl -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
        pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
        if [[ -n "$pid" ]] && pid_running "$pid"; then
            echo "bench/run.sh: pg_ctl stop failed, sending SIGQUIT to postmaster $pid" >&2
            kill -QUIT "$pid" 2>/dev/null || true
        fi
    fi
}

# shellcheck disable=SC2317 # invoked by the trap
on_exit()
{
    local rc=$? pid
    trap - EXIT INT TERM HUP
    set +e
    if [[ -n "$sampler_pid" ]]; then
        kill "$sampler_pid" 2>/dev/null
        wait "$sampler_pid" 2>/dev/null
    fi
    for pid in "${!daemon_mnt[@]}"; do
        stop_daemon "$pid"
    done
    if ((tmpfs_mounted)); then
        umount -- "$W/tmpfs" || umount -l -- "$W/tmpfs"
    fi
    stop_postgres
    if ((keep_work)); then
        echo "bench/run.sh: work dir kept: $W" >&2
    elif mounted "$W/tmpfs"; then
        echo "bench/run.sh: $W/tmpfs is still mounted; leaving $W" >&2
    else
        rm -rf --one-file-system -- "$W"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'echo "bench/run.sh: interrupted" >&2; exit 130' INT TERM HUP

log()
{
    echo "bench/run.sh: $*" >&2
}

# ---- PostgreSQL --------------------------------------------------------------

psql_db()
{
    local db=$1
    shift
    "$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h "$SOCK" -d "$db" "$@"
}

pg_opts="-k $SOCK -c listen_addresses=''"
pg_durability="fsync=off, synchronous_commit=off, full_page_writes=off (the integration harness's)"
write_target="≥ 0.5"
if ((!durable)); then
    pg_opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
else
    pg_durability="PostgreSQL defaults (fsync=on, synchronous_commit=on)"
    write_target="≥ 0.7"
fi
if ((profile)); then
    pg_opts+=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
    pg_durability+="; pg_stat_statements loaded (--profile)"
fi
(cd "$W" && runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 \
    --locale=C --no-sync) >"$W/logs/initdb.log" 2>&1 || {
    cat "$W/logs/initdb.log" >&2
    exit 1
}
pg_started=1
pg_ctl -D "$PGDATA" -l "$W/pg/postgres.log" -w -t 60 -o "$pg_opts" start >/dev/null || {
    cat "$W/pg/postgres.log" >&2
    exit 1
}
pg_version=$("$PG_BIN/postgres" --version | awk '{print $3}')
psql_db postgres -U postgres -c "CREATE ROLE root SUPERUSER LOGIN"
psql_db postgres -c "CREATE DATABASE bench"
if ((profile)); then
    psql_db bench -c "CREATE EXTENSION pg_stat_statements"
fi
CONNINFO="host=$SOCK dbname=bench"
CONFIG=$W/pinfs.json
SQLITE_DB=$W/sqlite/pins.db
cat >"$CONFIG" <<EOF
{"mode": "saas", "routes": [{"tenant": "sqbench", "backend": "sqlite://$SQLITE_DB"},
                            {"tenant": "*", "backend": "postgresql:///bench?host=$SOCK"}]}
EOF
"$PINCTL" --config "$CONFIG" migrate up >"$W/logs/migrate.log" 2>&1 || {
    cat "$W/logs/migrate.log" >&2
    exit 1
}
log "PostgreSQL $pg_version on $SOCK, database bench migrated; work dir $W"

# ---- mounts ------------------------------------------------------------------

# wait_mount PID DIR: waits (10 s) until DIR is a mount point that answers.
wait_mount()
{
    local pid=$1 dir=$2 i
    for ((i = 0; i < 200; i++)); do
        if mounted "$dir" && timeout 5 mountpoint -q -- "$dir"; then
            return 0
        fi
        if ! pid_running "$pid"; then
            log "the daemon for $dir exited before the mount appeared"
            return 1
        fi
        sleep 0.05
    done
    log "$dir did not appear within 10 s"
    return 1
}

# start_pinfs NAME [ARGS...]: mounts pinfs at $W/mnt/NAME; sets STARTED_PID.
start_pinfs()
{
    local name=$1
    shift
    mkdir -p "$W/mnt/$name"
    "$PINFS" "$CONFIG" "$W/mnt/$name" -f -o allow_other "$@" </dev/null \
        >"$W/logs/pinfs-$name.log" 2>&1 &
    STARTED_PID=$!
    daemon_mnt[$STARTED_PID]=$W/mnt/$name
    wait_mount "$STARTED_PID" "$W/mnt/$name" || {
        tail -n 50 "$W/logs/pinfs-$name.log" >&2
        exit 1
    }
}

# start_bindfs NAME [ARGS...]: bindfs $W/tmpfs at $W/mnt/NAME; sets STARTED_PID.
start_bindfs()
{
    local name=$1
    shift
    mkdir -p "$W/mnt/$name"
    bindfs -f "$@" "$W/tmpfs" "$W/mnt/$name" </dev/null >"$W/logs/bindfs-$name.log" 2>&1 &
    STARTED_PID=$!
    daemon_mnt[$STARTED_PID]=$W/mnt/$name
    wait_mount "$STARTED_PID" "$W/mnt/$name" || {
        tail -n 50 "$W/logs/bindfs-$name.log" >&2
        exit 1
    }
}

mkdir -p "$W/tmpfs"
mount -t tmpfs -o size=2g,mode=755 pinfs-bench "$W/tmpfs"
tmpfs_mounted=1
start_pinfs pinfs
PINFS_PID=$STARTED_PID
start_bindfs bindfs
BINDFS_PID=$STARTED_PID
P=$W/mnt/pinfs
B=$W/mnt/bindfs
mkdir "$P/bench" "$B/bench" "$P/sqbench"
log "pinfs (pid $PINFS_PID) at $P, bindfs (pid $BINDFS_PID) over tmpfs at $B"

# ---- helpers for figures -----------------------------------------------------

RAW=$W/logs/pinbench.log
: >"$RAW"

# field NAME LINE: the value of NAME=... in a pinbench output line.
field()
{
    sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"
}

# pb FIELD ARGS...: runs pinbench ARGS, logs its line, sets PB_VAL to FIELD's value.
pb()
{
    local name=$1 out
    shift
    out=$("$PINBENCH" "$@") || {
        log "pinbench $* failed"
        exit 1
    }
    printf '%s\n' "$out" >>"$RAW"
    PB_VAL=$(field "$name" "$out")
    [[ -n "$PB_VAL" ]] || {
        log "pinbench $* printed no $name: $out"
        exit 1
    }
}

median()
{
    sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2];
        else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# calc EXPR: awk arithmetic, printed with %.2f unless the format is given.
calc()
{
    awk "BEGIN { printf \"${2:-%.2f}\", $1 }"
}

declare -a rows=() info=()
# row FIGURE PINFS BASELINE RATIO TARGET VERDICT
row()
{
    rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |")
}

verdict()
{
    if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi
}

# pair NAME PINFS_ARGS... -- BASE_ARGS...: runs both REPS times, interleaved;
# sets PAIR_P and PAIR_B to the median ops/s.
pair()
{
    local -a pa=() ba=() pv=() bv=()
    local name=$1 i
    shift
    while [[ "$1" != -- ]]; do
        pa+=("$1")
        shift
    done
    shift
    ba=("$@")
    for ((i = 0; i < reps; i++)); do
        pb ops_per_s "${pa[@]}"
        pv+=("$PB_VAL")
        pb ops_per_s "${ba[@]}"
        bv+=("$PB_VAL")
    done
    PAIR_P=$(printf '%s\n' "${pv[@]}" | median)
    PAIR_B=$(printf '%s\n' "${bv[@]}" | median)
    log "$name: pinfs ${pv[*]} ops/s; baseline ${bv[*]} ops/s"
}

# ---- 1. reads: open/read/close, pinfs vs bindfs over tmpfs --------------------

pair read read "$P/bench" "$N_READ" "$R_READ" -- read "$B/bench" "$N_READ" "$R_READ"
read_p=$PAIR_P read_b=$PAIR_B
ratio=$(calc "$read_p / $read_b")
row "read: open/read/close of $N_READ pins ×$R_READ (ops/s)" "$read_p" "$read_b (bindfs/tmpfs)" \
    "$ratio" "≥ 1.2" "$(verdict "$ratio >= 1.2")"

# The same on the SQLite route (the embedded default's driver), against the same bindfs.
pair read-sqlite read "$P/sqbench" "$N_READ" "$R_READ" -- read "$B/bench" "$N_READ" "$R_READ"
ratio=$(calc "$PAIR_P / $PAIR_B")
row "read, SQLite route: open/read/close of $N_READ pins ×$R_READ (ops/s)" "$PAIR_P" \
    "$PAIR_B (bindfs/tmpfs)" "$ratio" "≥ 1.2" "$(verdict "$ratio >= 1.2")"

# Backend read floor (no target): prepared SELECT over libpq.
sel=()
for ((i = 0; i < reps; i++)); do
    pb ops_per_s pg-select "$CONNINFO" "$N_READ" "$R_READ"
    sel+=("$PB_VAL")
done
sel_m=$(printf '%s\n' "${sel[@]}" | median)
info+=("| libpq prepared SELECT by (tenant_id, key), 1 connection | $sel_m ops/s | issue: 18–24k/s |")
info+=("| pinfs read ÷ libpq SELECT | $(calc "$read_p / $sel_m") | |")
info+=("| bindfs/tmpfs open/read/close | $read_b ops/s | issue: ≈ 30k/s |")

# ---- 2. writes: open/O_TRUNC/write/close vs libpq upserts -----------------------

pair write write "$P/bench" "$N_WRITE" "$R_WRITE" -- pg-upsert "$CONNINFO" "$N_WRITE" "$R_WRITE" 1
write_p=$PAIR_P write_b=$PAIR_B
ratio=$(calc "$write_p / $write_b")
row "write: open/O_TRUNC/write/close, each close committed (ops/s)" "$write_p" \
    "$write_b (libpq upsert, 1 conn)" "$ratio" "$write_target" "$(verdict "$ratio >= ${write_target#≥ }")"

# The SQLite route against the driver's own settings on the same file (WAL,
# synchronous=FULL, one autocommit upsert each; another tenant's keys).
pair write-sqlite write "$P/sqbench" "$N_WRITE" "$R_WRITE" -- \
    -t sqbase sqlite-upsert "$SQLITE_DB" "$N_WRITE" "$R_WRITE"
ratio=$(calc "$PAIR_P / $PAIR_B")
row "write, SQLite route: open/O_TRUNC/write/close (ops/s)" "$PAIR_P" \
    "$PAIR_B (sqlite3 upsert, same settings)" "$ratio" "≥ 0.7" "$(verdict "$ratio >= 0.7")"
bw=()
for ((i = 0; i < reps; i++)); do
    pb ops_per_s write "$B/bench" "$N_WRITE" "$R_WRITE"
    bw+=("$PB_VAL")
done
bw_m=$(printf '%s\n' "${bw[@]}" | median)
info+=("| bindfs/tmpfs open/O_TRUNC/write/close | $bw_m ops/s | issue: ≈ 12.5k/s |")
info+=("| libpq prepared upsert, 1 connection | $write_b ops/s | issue: 6.4–7.4k/s |")

# ---- 3. 8 concurrent writers vs libpq with 8 connections --------------------------

pair write-par write-par "$P/bench" "$N_PAR" "$R_PAR" "$THREADS" -- \
    pg-upsert "$CONNINFO" "$N_PAR" "$R_PAR" "$THREADS"
par_p=$PAIR_P par_b=$PAIR_B
ratio=$(calc "$par_p / $par_b")
row "write, $THREADS threads × $N_PAR keys ×$R_PAR (ops/s)" "$par_p" \
    "$par_b (libpq, $THREADS conns)" "$ratio" "≥ 1.2" "$(verdict "$ratio >= 1.2")"

# ---- 4. ls -l of a tenant with N_LS pins, and the daemon's RSS -----------------------

log "seeding $N_LS pins in tenant big (SQL) and $N_LS files in tmpfs/big"
psql_db bench -c "INSERT INTO system.memory_pins (tenant_id, key, value)
    SELECT 'big', 'k' || lpad(g::text, 6, '0'),
           jsonb_build_object('i', g, 'name', 'pinbench', 'on', true)
    FROM generate_series(1, $N_LS) AS g"
psql_db bench -c "ANALYZE system.memory_pins"
mkdir "$W/tmpfs/big"
"$PINBENCH" fill "$W/tmpfs/big" "$N_LS"

# rss_sampler PID OUT: writes the largest VmRSS (KiB) seen every 0.1 s to OUT
# until killed.
rss_sampler()
{
    local pid=$1 out=$2 max=0 k v _
    trap 'echo "$max" >"$out"; exit 0' TERM
    for (( ; ; )); do
        while read -r k v _; do
            if [[ "$k" == VmRSS: ]] && ((v > max)); then
                max=$v
            fi
        done <"/proc/$pid/status"
        sleep 0.1 &
        wait $!
    done
}

status_kib()
{
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}

# time_ls DIR PID: ls -l DIR once; sets LS_MS, LS_LINES, LS_RSS_MAX (sampled
# VmRSS) and LS_HWM (VmHWM, reset before the listing), both KiB.
time_ls()
{
    local dir=$1 pid=$2 t0 t1
    echo 5 >"/proc/$pid/clear_refs" # resets VmHWM to the current RSS
    rss_sampler "$pid" "$W/rss.max" &
    sampler_pid=$!
    LS_TIMED_OUT=0
    t0=$(date +%s%N)
    timeout "$LS_TIMEOUT" ls -l "$dir" >"$W/ls.out" || {
        rc=$?
        ((rc == 124)) || {
            log "ls -l $dir failed (status $rc)"
            exit 1
        }
        LS_TIMED_OUT=1
    }
    t1=$(date +%s%N)
    kill -TERM "$sampler_pid"
    wait "$sampler_pid" || true
    sampler_pid=
    LS_MS=$(calc "($t1 - $t0) / 1e6" %.1f)
    LS_LINES=$(($(wc -l <"$W/ls.out") - 1))
    LS_RSS_MAX=$(cat "$W/rss.max")
    LS_HWM=$(status_kib "$pid" VmHWM)
    if ((LS_TIMED_OUT)); then
        log "ls -l $dir stopped after $LS_TIMEOUT s ($LS_LINES entries listed)"
        LS_MS=">$((LS_TIMEOUT * 1000))"
    elif ((LS_LINES != N_LS)); then
        log "ls -l $dir listed $LS_LINES entries, expected $N_LS"
        exit 1
    fi
}

rss_before=$(status_kib "$PINFS_PID" VmRSS)
ls_p=() ls_b=() hwm=0 rssmax=0 ls_timed_out=0
for ((i = 0; i < LS_RUNS; i++)); do
    time_ls "$P/big" "$PINFS_PID"
    ls_p+=("$LS_MS")
    ((LS_HWM > hwm)) && hwm=$LS_HWM
    ((LS_RSS_MAX > rssmax)) && rssmax=$LS_RSS_MAX
    log "ls -l pinfs/big: $LS_MS ms, VmHWM $LS_HWM KiB, sampled max VmRSS $LS_RSS_MAX KiB"
    time_ls "$B/big" "$BINDFS_PID"
    ls_b+=("$LS_MS")
    log "ls -l bindfs/big: $LS_MS ms"
    if ((${#ls_p[@]} == 1)) && [[ "${ls_p[0]}" == ">"* ]]; then
        ls_timed_out=1
        break
    fi
    if awk "BEGIN { exit !(${ls_p[0]} > $LS_ONCE * 1000) }"; then
        log "not repeating a listing that took more than $LS_ONCE s"
        break
    fi
done
# The best of the runs: the first pinfs listing may start with a cold database cache.
ls_bm=$(printf '%s\n' "${ls_b[@]}" | sort -g | head -n 1)
if ((ls_timed_out)); then
    ls_pm=${ls_p[0]}
    ratio="> $(calc "$LS_TIMEOUT * 1000 / $ls_bm" %.0f)"
    ls_verdict=MISS
else
    ls_pm=$(printf '%s\n' "${ls_p[@]}" | sort -g | head -n 1)
    ratio=$(calc "$ls_pm / $ls_bm")
    ls_verdict=$(verdict "$ratio <= 1.0")
fi
row "\`ls -l\` of a tenant with $N_LS pins (ms, best of ${#ls_p[@]})" "$ls_pm" "$ls_bm (bindfs/tmpfs)" \
    "$ratio" "≤ 1.0" "$ls_verdict"
hwm_mib=$(calc "$hwm / 1024" %.1f)
row "daemon peak RSS while listing (MiB)" "$hwm_mib" "—" "—" "≤ 32" "$(verdict "$hwm_mib <= 32")"
info+=("| \`ls -l\` runs, pinfs / bindfs (ms) | ${ls_p[*]} / ${ls_b[*]} | |")
info+=("| pinfs RSS before listing; sampled max VmRSS while listing (MiB) | $(calc "$rss_before / 1024" %.1f); $(calc "$rssmax / 1024" %.1f) | |")

# ---- 5. coherence: write on mount A, poll-read on mount B --------------------------

start_pinfs pinfs-b
PINFS_B_PID=$STARTED_PID
mkdir "$P/coh"
coh=$("$PINBENCH" coherence "$P/coh" "$W/mnt/pinfs-b/coh" "$N_COH") || {
    log "pinbench coherence failed"
    exit 1
}
printf '%s\n' "$coh" >>"$RAW"
p99=$(field p99_ms "$coh")
row "coherence: write on mount A → visible on mount B, p99 of $N_COH (ms)" "$p99" "—" "—" \
    "≤ 10" "$(verdict "$p99 <= 10")"
info+=("| coherence p50 / p90 / max (ms); timeouts (> 5 s); reads of B per write | $(field p50_ms "$coh") / $(field p90_ms "$coh") / $(field max_ms "$coh"); $(field timeouts "$coh"); $(field polls_per_iter "$coh") | |")
info+=("| coherence: A's open/write/close, p50 / p99 (ms) | $(field write_p50_ms "$coh") / $(field write_p99_ms "$coh") | |")
stop_daemon "$PINFS_B_PID"
((STOP_RC == 0)) || log "the second pinfs daemon exited with status $STOP_RC"

# ---- 6. CPU time per operation: client, FUSE daemon, PostgreSQL ---------------------
# Each loop runs once more (N_COST keys, one untimed pass + 2 rounds); the
# daemon's and PostgreSQL's CPU ticks are read from /proc before and after.

CLK_TCK=$(getconf CLK_TCK)
PG_PID=$(head -n 1 "$PGDATA/postmaster.pid")

# proc_ticks PID [WITH_CHILDREN]: utime + stime of PID in clock ticks, plus
# cutime + cstime (its exited and reaped children) when WITH_CHILDREN is 1.
proc_ticks()
{
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || {
        echo 0
        return
    }
    stat=${stat##*) }
    # shellcheck disable=SC2086 # split the fields on purpose
    set -- $stat "${2:-0}"
    # From the state field (3) on: utime is field 14, stime 15, cutime 16, cstime 17.
    if [[ "${!#}" == 1 ]]; then
        echo $((${12} + ${13} + ${14} + ${15}))
    else
        echo $((${12} + ${13}))
    fi
}

# pg_children: the pids whose parent is our postmaster (zombies included).
pg_children()
{
    local f stat ppid
    for f in /proc/[0-9]*/stat; do
        { read -r stat <"$f"; } 2>/dev/null || continue
        stat=${stat##*) }
        ppid=${stat#* }
        ppid=${ppid%% *}
        if [[ "$ppid" == "$PG_PID" ]]; then
            f=${f#/proc/}
            echo "${f%/stat}"
        fi
    done
}

# pg_ticks: the CPU ticks of every PostgreSQL process of ours: each live
# child, then the postmaster with its reaped children. Call it only while no
# child is exiting (pg_settle), or a backend reaped between the two reads is
# missed or counted twice.
pg_ticks()
{
    local total=0 pid
    for pid in $(pg_children); do
        total=$((total + $(proc_ticks "$pid")))
    done
    echo $((total + $(proc_ticks "$PG_PID" 1)))
}

# pg_settle PIDS: waits (up to 5 s) until the postmaster has no child but
# PIDS, so that the backends of a finished pinbench have exited and been reaped.
pg_settle()
{
    local i pid extra
    for ((i = 0; i < 100; i++)); do
        extra=0
        for pid in $(pg_children); do
            [[ " $1 " == *" $pid "* ]] || extra=1
        done
        ((extra)) || return 0
        sleep 0.05
    done
    log "PostgreSQL children did not settle; its CPU figure may be off"
}

# us_per_op TICKS OPS
us_per_op()
{
    calc "$1 * 1e6 / $CLK_TCK / $2" %.0f
}

cost_rows=()
# cost WHAT DAEMON_PID ARGS...: runs pinbench ARGS (N_COST keys, 2 rounds, so
# 3 × N_COST operations in all) and adds a row of CPU µs per operation.
cost()
{
    local what=$1 dpid=$2 d0 d1 p0 p1 out ops dcol children i
    shift 2
    d0=0 d1=0
    # Start from a quiet postmaster: the same children twice, 0.2 s apart.
    children=$(pg_children | tr '\n' ' ')
    for ((i = 0; i < 20; i++)); do
        sleep 0.2
        [[ "$(pg_children | tr '\n' ' ')" != "$children" ]] || break
        children=$(pg_children | tr '\n' ' ')
    done
    [[ "$dpid" == - ]] || d0=$(proc_ticks "$dpid")
    p0=$(pg_ticks)
    out=$("$PINBENCH" "$@") || {
        log "pinbench $* failed"
        exit 1
    }
    printf '%s\n' "$out" >>"$RAW"
    [[ "$dpid" == - ]] || d1=$(proc_ticks "$dpid")
    pg_settle "$children"
    p1=$(pg_ticks)
    ops=$((3 * N_COST))
    dcol="—"
    [[ "$dpid" == - ]] || dcol=$(us_per_op $((d1 - d0)) "$ops")
    cost_rows+=("| $what | $(calc "$(field us_per_op "$out")" %.0f) | $(calc "$(field client_cpu_us_per_op "$out")" %.0f) | $dcol | $(us_per_op $((p1 - p0)) "$ops") |")
}

cost "pinfs: open/read/close" "$PINFS_PID" --no-fill read "$P/bench" "$N_COST" 2
cost "bindfs/tmpfs: open/read/close" "$BINDFS_PID" --no-fill read "$B/bench" "$N_COST" 2
cost "libpq: prepared SELECT" - --no-fill pg-select "$CONNINFO" "$N_COST" 2
cost "pinfs: open/O_TRUNC/write/close" "$PINFS_PID" write "$P/bench" "$N_COST" 2
cost "bindfs/tmpfs: open/O_TRUNC/write/close" "$BINDFS_PID" write "$B/bench" "$N_COST" 2
cost "libpq: prepared upsert" - pg-upsert "$CONNINFO" "$N_COST" 2 1

# ---- 6b. (--profile) SQL statements per pinfs operation -----------------------------

profile_rows=()
# profile WHAT ARGS...: resets pg_stat_statements, runs pinbench ARGS (3 ×
# N_COST operations), lists the statements with their calls per operation.
profile()
{
    local what=$1 line
    shift
    psql_db bench -c "SELECT pg_stat_statements_reset()" >/dev/null
    "$PINBENCH" "$@" >>"$RAW"
    sleep 1 # the audit queue writes behind
    while IFS='|' read -r calls mean total query; do
        line="| $what | $(calc "$calls / (3 * $N_COST)") | $mean | $total | \`${query//|/\\|}\` |"
        profile_rows+=("$line")
    done < <(psql_db bench -c "SELECT calls, round(mean_exec_time::numeric, 3),
            round(total_exec_time::numeric, 1),
            left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
        FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
          AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC LIMIT 8")
}
if ((profile)); then
    profile read --no-fill read "$P/bench" "$N_COST" 2
    profile write write "$P/bench" "$N_COST" 2
fi

# ---- 7. FUSE requests per operation (pinfs -d, bindfs -d) --------------------------

mkdir "$P/trace" "$W/tmpfs/trace"
"$PINBENCH" fill "$P/trace" 100
"$PINBENCH" fill "$W/tmpfs/trace" 100
start_pinfs trace -d
TRACE_P_PID=$STARTED_PID
start_bindfs trace-bindfs -d
TRACE_B_PID=$STARTED_PID

# count_requests LOG CMD...: runs CMD; prints the FUSE requests LOG gained,
# as "OPCODE×n ... = total".
count_requests()
{
    local logf=$1 before
    shift
    sleep 0.2 # the previous operation's RELEASE arrives after its close
    before=$(wc -l <"$logf")
    "$@" >/dev/null
    sleep 0.2
    tail -n +"$((before + 1))" "$logf" |
        sed -n 's/.*opcode: \([A-Z_]*\) .*/\1/p' |
        sort | uniq -c | sort -k1,1nr -k2 |
        awk '{ t += $1; s = s (s == "" ? "" : " ") $2 "×" $1 } END { printf "%s = %d\n", s, t }'
}

# shellcheck disable=SC2317 # invoked by trace
write_one()
{
    echo '{"i": 2}' >"$1"
}

# trace WHAT PATH CMD: CMD PATH once on each mount, then once more, counted
# (back to back, well within bindfs's 1 s entry and attribute timeouts).
trace_rows=()
trace()
{
    local what=$1 rel=$2 cmd=$3 tp tb
    "$cmd" "$W/mnt/trace/$rel" >/dev/null
    tp=$(count_requests "$W/logs/pinfs-trace.log" "$cmd" "$W/mnt/trace/$rel")
    "$cmd" "$W/mnt/trace-bindfs/$rel" >/dev/null
    tb=$(count_requests "$W/logs/bindfs-trace-bindfs.log" "$cmd" "$W/mnt/trace-bindfs/$rel")
    trace_rows+=("| $what | $tp | $tb |")
}
# shellcheck disable=SC2317 # invoked by trace
ls_l()
{
    ls -l "$1"
}
trace "\`cat KEY\` (2nd time)" trace/r000000 cat
trace "\`echo '{…}' > KEY\` (2nd time)" trace/r000001 write_one
trace "\`ls -l\` of 100 entries (2nd time)" trace ls_l
stop_daemon "$TRACE_P_PID"
((STOP_RC == 0)) || log "the traced pinfs daemon exited with status $STOP_RC"
stop_daemon "$TRACE_B_PID"

# ---- unmount, stop ------------------------------------------------------------------

stop_daemon "$PINFS_PID"
((STOP_RC == 0)) || log "pinfs exited with status $STOP_RC after the unmount"
stop_daemon "$BINDFS_PID"
umount -- "$W/tmpfs"
tmpfs_mounted=0
stop_postgres
daemon_errors=$(grep -hE 'AddressSanitizer|runtime error| ERROR ' "$W"/logs/pinfs-pinfs*.log || true)

# ---- report ----------------------------------------------------------------------------

report=$W/report.md
load_end=$(cut -d ' ' -f 1-3 /proc/loadavg)
{
    echo "### ${label:-run} — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
    echo
    echo "- machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(free -h | awk '/^Mem:/ { print $2 }') RAM, kernel $(uname -r), $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release)"
    echo "- build: $buildtype ($build_dir); PostgreSQL $pg_version, $pg_durability; bindfs $(bindfs --version 2>/dev/null | head -n 1 | awk '{ print $2 }'), default options, over tmpfs"
    echo "- load average (1, 5, 15 min) at the start: $load_start; at the end: $load_end; niceness $(nice) (the figures are only as quiet as the machine)"
    echo "- command: \`bench/run.sh$( ((quick)) && echo ' --quick')$( ((durable)) && echo ' --durable')$( ((profile)) && echo ' --profile') --reps $reps\`; throughput figures are medians of $reps interleaved runs"
    echo
    echo "| figure | pinfs | baseline | ratio | target | verdict |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "| also measured | value | note |"
    echo "|---|---|---|"
    printf '%s\n' "${info[@]}"
    echo
    echo "CPU time per operation (µs; $((3 * N_COST)) operations each; the client's includes its"
    echo "system calls, so FUSE's kernel side is in the client and daemon columns):"
    echo
    echo "| loop | wall | client (pinbench) | FUSE daemon | PostgreSQL (all processes) |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${cost_rows[@]}"
    echo
    if ((profile)); then
        echo "SQL statements per pinfs operation (pg_stat_statements, top 8 by total time):"
        echo
        echo "| loop | calls per op | mean ms | total ms | statement |"
        echo "|---|---|---|---|---|"
        printf '%s\n' "${profile_rows[@]}"
        echo
    fi
    echo "FUSE requests that reach the daemon for one operation (from \`-d\` output):"
    echo
    echo "| operation | pinfs | bindfs over tmpfs |"
    echo "|---|---|---|"
    printf '%s\n' "${trace_rows[@]}"
    echo
    if [[ -n "$daemon_errors" ]]; then
        echo "Daemon stderr had suspicious lines:"
        echo '```'
        printf '%s\n' "$daemon_errors" | head -n 20
        echo '```'
        echo
    fi
    echo "<details><summary>raw pinbench output</summary>"
    echo
    echo '```'
    cat "$RAW"
    echo '```'
    echo "</details>"
    echo
} >"$report"
cat "$report"
if [[ -n "$append" ]]; then
    cat "$report" >>"$append"
    log "appended the report to $append"
fi
exit 0
