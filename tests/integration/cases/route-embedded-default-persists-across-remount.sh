# "pinfs MOUNTPOINT" with no config mounts the embedded default: lab mode,
# one route "*" to $XDG_DATA_HOME/pinfs/pins.db (or, without XDG_DATA_HOME,
# ~/.local/share/pinfs/pins.db), created and migrated on first use. Pins
# survive an unmount and a remount, and live in that SQLite file only.
xdg=$CASE_DIR/xdg
home=$CASE_DIR/home
mkdir -p "$home"

step "XDG_DATA_HOME set"
rt_mount_embedded HOME="$home" XDG_DATA_HOME="$xdg"
db=$xdg/pinfs/pins.db
[[ -f "$db" ]] || fail "$db was not created"
assert_eq "$(ls "$MNT")" "" "ls / of a fresh embedded default"
mkdir "$MNT/global"
echo '{"seeded": true, "n": 1}' >"$MNT/global/feature_flags"
mkdir "$MNT/acme"
echo '"hello"' >"$MNT/acme/greeting"
umount_pinfs
assert_eq "$(rt_sqlite "$db" "SELECT group_concat(tenant_id || '/' || key || '=' || json(value), ' ') FROM (SELECT * FROM memory_pins ORDER BY tenant_id)")" \
    'acme/greeting="hello" global/feature_flags={"seeded":true,"n":1}' "rows in $db"
[[ ! -e "$home/.local/share/pinfs" ]] || fail "the embedded default also wrote under \$HOME although XDG_DATA_HOME was set"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 0 "nothing went to PostgreSQL"

rt_mount_embedded HOME="$home" XDG_DATA_HOME="$xdg"
assert_eq "$(ls "$MNT")" $'acme\nglobal' "ls / after the remount"
assert_content "$MNT/global/feature_flags" <<'JSON'
{
  "seeded": true,
  "n": 1
}
JSON
assert_eq "$(cat "$MNT/acme/greeting")" '"hello"' "acme/greeting after the remount"
echo '{"n": 2}' >"$MNT/global/feature_flags"
umount_pinfs
rt_mount_embedded HOME="$home" XDG_DATA_HOME="$xdg"
assert_eq "$(cat "$MNT/global/feature_flags")" $'{\n  "n": 2\n}' "an update after the second remount"
umount_pinfs

step "no XDG_DATA_HOME: ~/.local/share/pinfs/pins.db"
rt_mount_embedded HOME="$home" XDG_DATA_HOME=
hdb=$home/.local/share/pinfs/pins.db
[[ -f "$hdb" ]] || fail "$hdb was not created (XDG_DATA_HOME empty)"
assert_eq "$(ls "$MNT")" "" "ls / of the \$HOME default (a different file)"
mkdir "$MNT/t"
echo '[1]' >"$MNT/t/k"
umount_pinfs
rt_mount_embedded -u XDG_DATA_HOME HOME="$home"
assert_eq "$(cat "$MNT/t/k")" $'[\n  1\n]' "t/k after a remount with XDG_DATA_HOME unset"
umount_pinfs
assert_eq "$(rt_sqlite "$hdb" "SELECT tenant_id || '/' || key FROM memory_pins")" t/k "rows in $hdb"
assert_eq "$(rt_sqlite "$db" "SELECT count(*) FROM memory_pins")" 2 "rows in $db (unchanged)"
