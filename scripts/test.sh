#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The test command (README, .ci/run): installs missing Debian packages,
# builds ./build with -Dwerror=true, runs the unit suite and the integration
# suite (real mounts, real PostgreSQL; needs root and /dev/fuse), and ends
# with one line "N passed, N failed[, N skipped]". Exits non-zero if
# anything failed, or if nothing ran at all.
#
# Works from any directory and from a fresh clone; BUILD_DIR overrides the
# build directory (default: build, relative to the repository root).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"
build=${BUILD_DIR:-build}

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

echo "== dependencies"
bash scripts/install-deps.sh

echo "== build ($build)"
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

# Sums one "Label:   N" line of meson test's summary.
summary_count()
{
    local n
    n=$(sed -n "s/^$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$2" | tail -n 1)
    echo "${n:-0}"
}

echo "== unit tests"
unit_log=$(mktemp)
trap 'rm -f -- "$unit_log" "${it_log:-}"' EXIT
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

echo "== integration tests"
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

echo "== summary: unit $((u_ok + u_xfail)) passed, $((u_fail + u_xpass + u_timeout)) failed, $u_skip skipped"
finish
