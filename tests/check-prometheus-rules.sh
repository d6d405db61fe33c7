#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The shipped alerting rules: "promtool check rules" must pass, and so must
# their unit tests ("promtool test rules", each alert firing on its
# condition and silent otherwise). Skips (77) without promtool (Debian:
# prometheus).
#
# usage: check-prometheus-rules.sh RULES.yml RULES.test.yml
set -eu

rules=$1
tests=$2
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
	echo "SKIP: promtool is not installed (Debian: prometheus)"
	exit 77
fi
"$promtool" check rules "$rules"
# promtool resolves rule_files relative to the test file's directory.
"$promtool" test rules "$tests"
