#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs one libFuzzer target from its committed corpus:
#
#   tests/fuzz/run.sh --build-dir DIR [--seconds N] TARGET
#
# DIR is a build configured with CC=clang -Dfuzzing=true (see
# tests/fuzz/meson.build); TARGET is a name of tests/fuzz/fuzz_<TARGET>.c
# (path_codec, config, policy, claims, pin_json). New inputs go to a scratch
# corpus and crash, leak, timeout and oom inputs to an artifacts folder,
# both under DIR/fuzz-run/TARGET/ (build directories are git-ignored), so a
# run never leaves files in the source tree; the committed seeds in
# tests/fuzz/corpus/TARGET are only read. Inputs are cut at 16 KiB (the
# replay suite runs the big seeds whole). Prints the fuzzer's DONE line and
# exits with the fuzzer's status; on failure prints the artifacts and the
# end of the log.
set -euo pipefail

build=
seconds=${FUZZ_SECONDS:-20}
while (($#)); do
    case $1 in
    --build-dir) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -*) echo "usage: $0 --build-dir DIR [--seconds N] TARGET" >&2; exit 2 ;;
    *) break ;;
    esac
done
(($# == 1)) && [[ -n "$build" ]] || { echo "usage: $0 --build-dir DIR [--seconds N] TARGET" >&2; exit 2; }
name=$1
src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
work="$build/fuzz-run/$name"
rm -rf -- "$work"
mkdir -p -- "$work/corpus" "$work/artifacts"
rc=0
"$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len=16384 \
    -rss_limit_mb=1024 -timeout=60 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$src/corpus/$name" \
    >"$work/log" 2>&1 || rc=$?
if ((rc == 0)); then
    grep -a -E '^#[0-9]+[[:space:]]+DONE' "$work/log" | tail -n 1 || echo "(no DONE line)"
else
    echo "fuzz $name failed (status $rc); inputs in $work/artifacts/:"
    ls -- "$work/artifacts" || true
    tail -n 60 -- "$work/log"
fi
exit "$rc"
