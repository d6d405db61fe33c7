# Issue 15, fewer requests: `ls -l` of 100 pins the kernel has never seen
# sends no LOOKUP per pin on a PostgreSQL route (the feed is up: the
# listing's pages bring each pin whole and READDIRPLUS hands the kernel its
# entry and attributes), and what it shows is what a lookup would show:
# the sizes `cat` reads, also after another writer changes a pin. Run from
# inside the tenant, the whole `ls -l` sends no LOOKUP at all; run with the
# tenant in the path, each of ls's three calls per name walks the tenant,
# whose entry the kernel never caches (isolation), and nothing more. On the
# SQLite route (no feed) the listing is as before and just as correct.
# pinfs_fuse_requests_total counts what the kernel asked for.
rt_pg_sqlite_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"

# Rows written behind the mount's back: the kernel has no entry for any.
fill_sql="INSERT INTO @pins (tenant_id, key, value)
    SELECT '%s', 'k' || lpad(g::text, 3, '0'), ('{\"n\": ' || g || ', \"pad\": \"' || repeat('x', g) || '\"}')::%s
    FROM generate_series(1, 100) g"
pg_sql "$(printf "${fill_sql//@pins/system.memory_pins}" acme jsonb)"
rt_sqlite "$RT_SQLITE" "WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 100)
    INSERT INTO memory_pins (tenant_id, key, value)
    SELECT 'lab', 'k' || substr('00' || g, -3), '{\"n\": ' || g || ', \"pad\": \"' || replace(hex(zeroblob(g)), '00', 'x') || '\"}'
    FROM g"
assert_eq "$(rt_db "$RT_SQLITE" "SELECT count(*) FROM @pins WHERE tenant_id = 'lab'")" 100 "100 SQLite rows"
sleep 0.3	# the feed is up

lookups() { rb_metric 'pinfs_fuse_requests_total{op="lookup"}'; }
plus() { rb_metric 'pinfs_fuse_requests_total{op="readdirplus"}'; }

# sizes_by_ls DIR / sizes_by_cat DIR: "name size" per pin, sorted.
sizes_by_ls() { ls -l "$1" | awk 'NR > 1 { print $9, $5 }' | sort; }
sizes_by_cat() { for f in "$1"/*; do printf '%s %s\n' "${f##*/}" "$(wc -c <"$f")"; done | sort; }

step "PostgreSQL: ls -l of 100 unseen pins, from inside the tenant"
l0=$(lookups)
p0=$(plus)
[[ "$l0" =~ ^[0-9]+$ ]] || fail "lookups are not counted: $l0"
ls_out=$(cd "$MNT/acme" && ls -l | awk 'NR > 1 { print $9, $5 }' | sort)
l1=$(lookups)
p1=$(plus)
assert_eq "$(wc -l <<<"$ls_out")" 100 "ls -l lists the 100 pins"
# The cd (acme: 1) and this metrics read (.system, metrics: 2); not 300.
(( l1 - l0 <= 5 )) || fail "ls -l of 100 pins sent $((l1 - l0)) LOOKUPs (expected at most 5)"
(( p1 > ${p0/absent/0} )) || fail "no READDIRPLUS was sent ($p0 -> $p1)"
step "$((l1 - l0)) lookups, $((p1 - ${p0/absent/0})) readdirplus"
assert_eq "$ls_out" "$(sizes_by_cat "$MNT/acme")" "ls -l sizes are the bytes cat reads"

step "the same with the tenant in the path: one LOOKUP of acme per call, none per pin"
pg_sql "$(printf "${fill_sql//@pins/system.memory_pins}" acme jsonb | sed "s/'k' ||/'m' ||/")"
sleep 0.3
l0=$(lookups)
assert_eq "$(sizes_by_ls "$MNT/acme" | grep -c '^m')" 100 "ls -l lists 100 more unseen pins"
l1=$(lookups)
# statx, lgetxattr and getxattr of each of 200 names walk acme: 600, plus
# a few (the walk to list it, this metrics read). A LOOKUP per unseen pin
# would be 100 more.
(( l1 - l0 <= 600 + 20 )) || fail "ls -l of 200 pins by path sent $((l1 - l0)) LOOKUPs (expected at most 620)"
pg_sql "DELETE FROM system.memory_pins WHERE tenant_id = 'acme' AND key LIKE 'm%'"
assert_eq "$(rb_poll 3 100 bash -c "ls '$MNT/acme' | wc -l")" 100 "the extra pins are gone"
assert_eq "$(stat -c %s "$MNT/acme/k050")" "$(wc -c <"$MNT/acme/k050")" "stat of a listed pin"

step "a change behind the mount reaches the listed entries"
pg_sql "UPDATE system.memory_pins SET value = '{\"grown\": \"$(printf 'y%.0s' $(seq 300))\"}' WHERE tenant_id = 'acme' AND key = 'k007'"
want=$(printf '{\n  "grown": "%s"\n}\n' "$(printf 'y%.0s' $(seq 300))" | wc -c)
assert_eq "$(rb_poll 3 "$want" stat -c %s "$MNT/acme/k007")" "$want" "stat after the change"
assert_eq "$(sizes_by_ls "$MNT/acme" | awk '$1 == "k007" { print $2 }')" "$want" "ls -l after the change"
pg_sql "DELETE FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'k008'"
assert_eq "$(rb_poll 3 ENOENT probe stat "$MNT/acme/k008")" ENOENT "a removed pin is gone"
assert_eq "$(sizes_by_ls "$MNT/acme" | wc -l)" 99 "and not listed"

step "SQLite: the same listing, correct without the feed"
assert_eq "$(sizes_by_ls "$MNT/lab" | wc -l)" 100 "ls -l lists the 100 SQLite pins"
assert_eq "$(sizes_by_ls "$MNT/lab")" "$(sizes_by_cat "$MNT/lab")" "SQLite ls -l sizes are the bytes cat reads"
umount_pinfs
