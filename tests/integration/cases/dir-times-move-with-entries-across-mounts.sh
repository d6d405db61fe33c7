# Directory times are true and shared: a tenant's mtime and ctime move when
# a pin is created, deleted, renamed in or out or expires (not when a value
# is overwritten), on a PostgreSQL route (seen through a second mount of the
# same database too) and on an SQLite route; the root's move when a tenant
# the caller sees is made or removed, and its link count is 2 + the tenants
# the caller sees; a renamed pin's ctime moves and its mtime stays. Before:
# every directory showed the mount time forever and the root's nlink was 2.
rt_pg_sqlite_config "extra=$(rt_pg_uri)"
mount_pinfs
first_mnt=$MNT
first_pid=$PINFS_PID
mkdir "$MNT/acme" "$MNT/lab"
MNT=$CASE_DIR/mnt2
mount_pinfs
second_mnt=$MNT
second_pid=$PINFS_PID
MNT=$first_mnt

mt() { stat -c %Y.%y "$1" | sed 's/^\([0-9]*\)\..*\.\([0-9]*\) .*/\1\2/'; }	# mtime in ns
ct() { stat -c %Z.%z "$1" | sed 's/^\([0-9]*\)\..*\.\([0-9]*\) .*/\1\2/'; }	# ctime in ns
moved() # WHAT BEFORE AFTER: AFTER must be later
{
    (($3 > $2)) || fail "$1 did not move ($2 -> $3)"
}
stayed() # WHAT BEFORE AFTER
{
    assert_eq "$3" "$2" "$1"
}
tick() { sleep 0.05; }

for t in acme lab; do
    d=$MNT/$t
    step "$t: create, overwrite, rename, delete, expire"
    m0=$(mt "$d"); tick
    echo '{"v":1}' >"$d/k"
    m1=$(mt "$d"); moved "$t mtime after a create" "$m0" "$m1"
    assert_eq "$(ct "$d")" "$m1" "$t ctime follows its mtime"
    tick; echo '{"v":2}' >"$d/k"
    stayed "$t mtime after an overwrite" "$m1" "$(mt "$d")"
    pm=$(mt "$d/k"); pc=$(ct "$d/k"); tick
    mv "$d/k" "$d/k2"
    m2=$(mt "$d"); moved "$t mtime after a rename" "$m1" "$m2"
    stayed "renamed pin's mtime" "$pm" "$(mt "$d/k2")"
    moved "renamed pin's ctime" "$pc" "$(ct "$d/k2")"
    tick; rm "$d/k2"
    m3=$(mt "$d"); moved "$t mtime after a delete" "$m2" "$m3"
    echo '1' >"$d/short"
    setfattr -n user.pin.ttl -v 1 "$d/short"
    m4=$(mt "$d")
    sleep 1.2
    echo 1 >"$MNT/.system/expire"
    moved "$t mtime after an expiry" "$m4" "$(mt "$d")"
done

step "the second mount of the same PostgreSQL database sees the same times"
echo '{"from":"second"}' >"$second_mnt/acme/remote"
m=$(mt "$MNT/acme")
assert_eq "$(mt "$second_mnt/acme")" "$m" "acme's mtime on both mounts"
assert_eq "$(pg_sql "SELECT (extract(epoch FROM changed_at) * 1e6)::int8 FROM system.tenants WHERE name = 'acme'")" \
    "${m:0:16}" "acme's mtime is its tenants row's changed_at"

step "the root"
r0=$(mt "$MNT")
assert_eq "$(stat -c %h "$MNT")" 4 "root nlink with two tenants"
tick; mkdir "$MNT/extra"
r1=$(mt "$MNT"); moved "root mtime after mkdir" "$r0" "$r1"
assert_eq "$(stat -c %h "$MNT")" 5 "root nlink with three tenants"
tick; rmdir "$MNT/extra"
moved "root mtime after rmdir" "$r1" "$(mt "$MNT")"
assert_eq "$(stat -c %h "$MNT")" 4 "root nlink after rmdir"
find "$MNT" -mindepth 1 -maxdepth 1 -type d | sort >"$CASE_DIR/dirs"
assert_eq "$(cat "$CASE_DIR/dirs")" "$MNT/acme"$'\n'"$MNT/lab" "find sees every tenant"

PINFS_PID=$second_pid MNT=$second_mnt umount_pinfs
PINFS_PID=$first_pid
umount_pinfs
