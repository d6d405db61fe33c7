#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Renders a populated metrics registry (metrics_dump) and checks it with
# `promtool check metrics`. Fails on a non-zero exit of either program and
# on ANY promtool output, since lint warnings are printed but may not fail
# the exit code on every promtool version.
#
# usage: promtool_check.sh METRICS_DUMP PROMTOOL
set -eu

dump=$1
promtool=$2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$dump" >"$tmp/metrics.txt"; then
	echo "FAIL: $dump exited non-zero" >&2
	exit 1
fi
if [ ! -s "$tmp/metrics.txt" ]; then
	echo "FAIL: $dump printed nothing" >&2
	exit 1
fi

rc=0
"$promtool" check metrics <"$tmp/metrics.txt" >"$tmp/promtool.out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || [ -s "$tmp/promtool.out" ]; then
	echo "FAIL: promtool check metrics (exit $rc):" >&2
	cat "$tmp/promtool.out" >&2
	echo "--- input ---" >&2
	cat "$tmp/metrics.txt" >&2
	exit 1
fi
echo "PASS: promtool check metrics ($(wc -l <"$tmp/metrics.txt") lines)"
