#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command: installs what is missing, builds pinfs, and
# mounts the embedded default (lab mode, one SQLite file in
# ${XDG_DATA_HOME:-~/.local/share}/pinfs) at ${PINFS_DEMO_DIR:-~/pins},
# with the seven seed pins in tenant "global". The daemon logs to pinfs.log
# next to the SQLite file (not to syslog, which a machine without a journal
# never shows).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
mnt=${PINFS_DEMO_DIR:-$HOME/pins}
data=${XDG_DATA_HOME:-$HOME/.local/share}/pinfs
log=$data/pinfs.log

bash scripts/install-deps.sh
if [ -d build ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build pinfs pinctl

mkdir -p "$mnt"
if mountpoint -q "$mnt"; then
	echo "demo: $mnt is already mounted; unmount it first: fusermount3 -u $mnt" >&2
	exit 1
fi
# allow_other needs root or user_allow_other in /etc/fuse.conf; the demo
# user alone needs nothing.
mkdir -p "$data"
"$root/build/pinfs" "$mnt" -o auto_unmount,log="$log"

# Seed by copying the files: the same result as "pinctl seed".
cp -r "$root/examples/seed/global" "$mnt/"

cat <<MSG

pinfs is mounted at $mnt (embedded SQLite default, lab mode).

  ls $mnt/global
  cat $mnt/global/feature_flags
  echo '{"default_rpm": 1200}' > $mnt/global/rate_limits
  echo not-json > $mnt/global/rate_limits     # refused: Invalid argument
  rm $mnt/global/budget

The daemon's log (refused writes and RBAC denials, with their codes):
  tail -f $log

Unmount with: fusermount3 -u $mnt
MSG
ls -l "$mnt/global"
