#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The test command (README, .ci/run): installs missing Debian packages,
# builds ./build with -Dwerror=true, runs the unit suite and the integration
# suite (real mounts, real PostgreSQL; needs root and /dev/fuse), and ends
# with one line "N passed, N failed[, N skipped]". Exits non-zero if
# anything failed, or if nothing ran at all.
#
#   bash scripts/test.sh            everything below (what CI runs)
#   bash scripts/test.sh --quick    only the build, the unit suite and the
#                                   integration suite (no valgrind, no
#                                   sanitizer build, no fuzzing)
#
# Then, counted into the same line (STYLE.md section 11):
#   - the fuzz corpora replayed (suite "fuzz") in the main build;
#   - the unit suite under valgrind (the "valgrind" test setup), if defined;
#   - an ASan+UBSan build (build-asan) running the unit, fuzz and
#     integration suites, with leak detection on;
#   - with clang installed: a libFuzzer build (build-fuzz) running each
#     fuzz target for FUZZ_SECONDS (default 20) from its corpus, one result
#     per target.
#
# Works from any directory and from a fresh clone; BUILD_DIR overrides the
# build directory (default: build, relative to the repository root), and
# ASAN_BUILD_DIR and FUZZ_BUILD_DIR the other two.
set -euo pipefail

quick=0
case ${1:-} in
--quick) quick=1 ;;
-h | --help)
    echo "usage: bash scripts/test.sh [--quick]"
    exit 0
    ;;
'') ;;
*)
    echo "usage: bash scripts/test.sh [--quick]" >&2
    exit 2
    ;;
esac

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"
build=${BUILD_DIR:-build}
asan_build=${ASAN_BUILD_DIR:-build-asan}
fuzz_build=${FUZZ_BUILD_DIR:-build-fuzz}
fuzz_seconds=${FUZZ_SECONDS:-20}

passed=0
failed=0
skipped=0

finish()
{
    local line="$passed passed, $failed failed"
    ((skipped == 0)) || line+=", $skipped skipped"
    echo "$line"
    if ((failed > 0 || passed == 0)); then
        exit 1
    fi
    exit 0
}

stage_times=()
# Records how long the stage that began at $1 (a $SECONDS value) took.
stage_done()
{
    stage_times+=("$2 $((SECONDS - $1))s")
}

echo "== dependencies"
bash scripts/install-deps.sh

echo "== build ($build)"
t0=$SECONDS
if [[ -f "$build/meson-private/coredata.dat" ]]; then
    setup=(meson setup --reconfigure "$build" -Dwerror=true)
else
    setup=(meson setup "$build" -Dwerror=true)
fi
if ! "${setup[@]}" || ! ninja -C "$build"; then
    echo "test.sh: the build failed"
    failed=$((failed + 1))
    finish
fi
stage_done "$t0" "build"

# Sums one "Label:   N" line of meson test's summary.
summary_count()
{
    local n
    n=$(sed -n "s/^$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$2" | tail -n 1)
    echo "${n:-0}"
}

echo "== unit tests"
t0=$SECONDS
unit_log=$(mktemp)
trap 'rm -f -- "$unit_log" "${it_log:-}" "${extra_logs[@]}"; rm -rf -- "${probe_dir:-}"' EXIT
extra_logs=()
unit_rc=0
meson test -C "$build" --suite unit --print-errorlogs 2>&1 | tee "$unit_log" || unit_rc=$?
u_ok=$(summary_count 'Ok' "$unit_log")
u_xfail=$(summary_count 'Expected Fail' "$unit_log")
u_fail=$(summary_count 'Fail' "$unit_log")
u_xpass=$(summary_count 'Unexpected Pass' "$unit_log")
u_skip=$(summary_count 'Skipped' "$unit_log")
u_timeout=$(summary_count 'Timeout' "$unit_log")
passed=$((passed + u_ok + u_xfail))
failed=$((failed + u_fail + u_xpass + u_timeout))
skipped=$((skipped + u_skip))
if ((unit_rc != 0 && u_fail + u_xpass + u_timeout == 0)); then
    echo "test.sh: meson test exited with status $unit_rc"
    failed=$((failed + 1))
fi

stage_done "$t0" "unit"

echo "== integration tests"
t0=$SECONDS
it_log=$(mktemp)
it_rc=0
bash tests/integration/run.sh --build-dir "$build" 2>&1 | tee "$it_log" || it_rc=$?
last=$(tail -n 1 "$it_log")
if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
    skipped=$((skipped + BASH_REMATCH[3]))
    if ((it_rc != 0 && it_rc != 77 && BASH_REMATCH[2] == 0)); then
        echo "test.sh: the integration run exited with status $it_rc"
        failed=$((failed + 1))
    fi
else
    echo "test.sh: the integration run ended without its summary (status $it_rc)"
    failed=$((failed + 1))
fi
stage_done "$t0" "integration"

if ((quick)); then
    echo "== --quick: skipping the fuzz replay, valgrind, the ASan+UBSan build and fuzzing"
    echo "== stage times: ${stage_times[*]} (total ${SECONDS}s)"
    finish
fi

# ---- the stages below were added for sanitizers, valgrind and fuzzing ----

# Counts one "meson test" run from its log into the totals, like the unit
# stage above; $2 is its exit status and $3 names it in messages.
count_meson_log()
{
    local log=$1 rc=$2 what=$3 ok xfail fail xpass skip timeout
    ok=$(summary_count 'Ok' "$log")
    xfail=$(summary_count 'Expected Fail' "$log")
    fail=$(summary_count 'Fail' "$log")
    xpass=$(summary_count 'Unexpected Pass' "$log")
    skip=$(summary_count 'Skipped' "$log")
    timeout=$(summary_count 'Timeout' "$log")
    passed=$((passed + ok + xfail))
    failed=$((failed + fail + xpass + timeout))
    skipped=$((skipped + skip))
    if ((rc != 0 && fail + xpass + timeout == 0)); then
        echo "test.sh: $what: meson test exited with status $rc"
        failed=$((failed + 1))
    elif ((rc == 0 && ok + xfail + skip == 0)); then
        echo "test.sh: $what: no test ran"
        failed=$((failed + 1))
    fi
    echo "== $what: $((ok + xfail)) passed, $((fail + xpass + timeout)) failed, $skip skipped"
}

# Runs "meson test" with the given arguments and counts it; $1 names it.
run_meson_suite()
{
    local what=$1 log rc=0
    shift
    log=$(mktemp)
    extra_logs+=("$log")
    meson test "$@" --print-errorlogs 2>&1 | tee "$log" || rc=$?
    count_meson_log "$log" "$rc" "$what"
}

# Sets up (or reconfigures) build dir $1 with the remaining meson options and builds it.
build_dir()
{
    local dir=$1
    shift
    if [[ -f "$dir/meson-private/coredata.dat" ]]; then
        meson setup --reconfigure "$dir" "$@" && ninja -C "$dir"
    else
        meson setup "$dir" "$@" && ninja -C "$dir"
    fi
}

echo "== fuzz corpus replay ($build)"
t0=$SECONDS
run_meson_suite "fuzz replay" -C "$build" --suite fuzz
stage_done "$t0" "fuzz-replay"

echo "== unit tests under valgrind ($build)"
t0=$SECONDS
# Only the project's own executables: the few unit tests that are scripts run
# valgrind on sh or python3 instead (dash loses a string at exit).
mapfile -t vg_tests < <(meson introspect --tests "$build" | python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
for t in json.load(sys.stdin):
    if any(s == "unit" or s.endswith(":unit") for s in t["suite"]) and \
            os.path.realpath(t["cmd"][0]).startswith(build + os.sep):
        print(t["name"])
' "$build")
if ((${#vg_tests[@]} == 0)); then
    echo "test.sh: no unit test executable found for valgrind"
    failed=$((failed + 1))
elif meson test -C "$build" --setup valgrind --suite unit --list >/dev/null 2>&1; then
    run_meson_suite "unit under valgrind" -C "$build" --setup valgrind --suite unit \
        "${vg_tests[@]}"
else
    echo "test.sh: no valgrind test setup (valgrind not found at configure time), skipping"
    skipped=$((skipped + 1))
fi
stage_done "$t0" "valgrind"

# Sanitizer runs (everything from here on): leaks are errors, the first
# report aborts, and reports carry stacks. The integration harness scans the
# daemon's stderr for them.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if [[ -f tests/lsan.supp ]]; then
    export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
fi

echo "== build ($asan_build: ASan+UBSan)"
t0=$SECONDS
if build_dir "$asan_build" -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true; then
    stage_done "$t0" "asan-build"
    t0=$SECONDS
    echo "== unit and fuzz replay under ASan+UBSan ($asan_build)"
    run_meson_suite "unit+fuzz under ASan+UBSan" -C "$asan_build" --suite unit --suite fuzz
    stage_done "$t0" "asan-unit+fuzz"

    t0=$SECONDS
    echo "== integration tests under ASan+UBSan ($asan_build)"
    asan_it_log=$(mktemp)
    extra_logs+=("$asan_it_log")
    asan_it_rc=0
    bash tests/integration/run.sh --build-dir "$asan_build" 2>&1 |
        tee "$asan_it_log" || asan_it_rc=$?
    last=$(tail -n 1 "$asan_it_log")
    if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        skipped=$((skipped + BASH_REMATCH[3]))
        if ((asan_it_rc != 0 && asan_it_rc != 77 && BASH_REMATCH[2] == 0)); then
            echo "test.sh: the ASan integration run exited with status $asan_it_rc"
            failed=$((failed + 1))
        fi
    else
        echo "test.sh: the ASan integration run ended without its summary (status $asan_it_rc)"
        failed=$((failed + 1))
    fi
    stage_done "$t0" "asan-integration"
else
    echo "test.sh: the ASan+UBSan build failed"
    failed=$((failed + 1))
    stage_done "$t0" "asan-build"
fi

echo "== fuzzing ($fuzz_build: clang, libFuzzer, ${fuzz_seconds}s per target)"
t0=$SECONDS
fuzz_targets=()
for f in tests/fuzz/fuzz_*.c; do
    fuzz_targets+=("$(basename -- "$f" .c)")
done
probe_dir=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
    >"$probe_dir/probe.c"
if ! command -v clang >/dev/null 2>&1 ||
    ! clang -fsanitize=fuzzer,address -o "$probe_dir/probe" "$probe_dir/probe.c" >/dev/null 2>&1; then
    echo "test.sh: clang with libFuzzer is not installed, skipping ${#fuzz_targets[@]} fuzz targets"
    skipped=$((skipped + ${#fuzz_targets[@]}))
# clang, like gcc, must build the tree, but without -Dwerror: STYLE.md keeps
# the clang -Werror build a separate job.
elif ! CC=clang build_dir "$fuzz_build" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dintegration_tests=false; then
    echo "test.sh: the libFuzzer build failed"
    failed=$((failed + 1))
else
    for t in "${fuzz_targets[@]}"; do
        name=${t#fuzz_}
        if out=$(bash tests/fuzz/run.sh --build-dir "$fuzz_build" --seconds "$fuzz_seconds" "$name"); then
            echo "PASS fuzz $name: $out"
            passed=$((passed + 1))
        else
            echo "FAIL fuzz $name:"
            echo "$out"
            failed=$((failed + 1))
        fi
    done
fi
rm -rf -- "$probe_dir"
stage_done "$t0" "fuzz-smoke"

echo "== stage times: ${stage_times[*]} (total ${SECONDS}s)"
echo "== summary: unit $((u_ok + u_xfail)) passed, $((u_fail + u_xpass + u_timeout)) failed, $u_skip skipped"
finish
