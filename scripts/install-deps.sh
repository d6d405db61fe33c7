#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every Debian package that pinfs needs to build, test, benchmark and
# run its demo. The README's two commands and .ci/run all call this one script.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config
	libfuse3-dev libpq-dev libjansson-dev libjwt-dev libsqlite3-dev libssl-dev
	libcmocka-dev libyajl-dev
	# run
	fuse3 postgresql postgresql-client sqlite3
	# integration tests: the real tools
	vim nano jq moreutils attr tmux python3 util-linux procps coreutils
	# checks
	prometheus systemd valgrind
	clang libclang-rt-dev	# fuzzing: libFuzzer and the sanitizer runtimes (a Recommends of clang)
	bindfs # benchmarks: bench/run.sh's FUSE floor (bindfs over tmpfs)
	rsync # integration tests: ttl-rsync-x-inplace-carries-ttl-and-source.sh
	pgbouncer # integration tests: route-pgbouncer-*.sh (each starts its own; see below)
)

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

# The pgbouncer package enables and starts a system-wide pgbouncer (port
# 6432); the tests start private ones, so one installed here is turned off.
case " ${missing[*]} " in
*" pgbouncer "*)
	if command -v systemctl >/dev/null 2>&1; then
		$SUDO systemctl disable --now pgbouncer >/dev/null 2>&1 ||
			$SUDO systemctl disable pgbouncer >/dev/null 2>&1 || true
	fi
	;;
esac
