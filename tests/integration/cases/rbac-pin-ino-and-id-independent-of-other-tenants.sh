# st_ino and user.pin.id of a pin do not depend on what happens in other
# tenants: the same pin (tenant, key, created_at) has the same numbers
# whether 500 pins were created elsewhere before it or not. The numbers
# are equal to each other, the same in readdir and stat, survive a rewrite
# and a remount, and change when the key is deleted and made again. On
# PostgreSQL and SQLite.
rt_pg_sqlite_config "*=$(rt_pg_uri)"
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["machine"], "tenants": ["acme", "lab"]}]'
jq --arg p "$RB_POLICY" '.policy = $p' "$CONFIG" >"$CONFIG.tmp" && mv "$CONFIG.tmp" "$CONFIG"
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab" "$MNT/beta"
as_user 20001 sh -c 'echo "{\"a\":1}" > "$1/acme/k" && echo "{\"l\":1}" > "$1/lab/k"' _ "$MNT"

numbers() # TENANT: "st_ino user.pin.id d_ino", as uid 20001
{
    as_user 20001 /usr/bin/python3 -c '
import os, sys
d = sys.argv[1]
ino = os.stat(d + "/k").st_ino
pid = os.getxattr(d + "/k", "user.pin.id").decode()
dino = [e.inode() for e in os.scandir(d) if e.name == "k"][0]
print(ino, pid, dino)' "$MNT/$1"
}
declare -A first
for t in acme lab; do
    read -r ino id dino <<<"$(numbers $t)"
    assert_eq "$id $dino" "$ino $ino" "$t/k: user.pin.id and readdir's d_ino are st_ino"
    first[$t]=$ino
done
as_user 20001 sh -c 'echo "{\"a\":2}" > "$1/acme/k" && echo "{\"l\":2}" > "$1/lab/k"' _ "$MNT"
for t in acme lab; do
    assert_eq "$(numbers $t)" "${first[$t]} ${first[$t]} ${first[$t]}" "$t/k after a rewrite"
done
[[ "${first[acme]}" != "$(pg_sql "SELECT id FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'k'")" ]] ||
    fail "user.pin.id is the row id"
umount_pinfs

step "the same pins again, made after 500 pins in another tenant"
created_pg=$(pg_sql "SELECT created_at FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'k'")
pg_sql "DELETE FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'k';
        INSERT INTO system.memory_pins (tenant_id, key, value) SELECT 'beta', 'b' || g, '{}' FROM generate_series(1, 500) g;
        INSERT INTO system.memory_pins (tenant_id, key, value, created_at) VALUES ('acme', 'k', '{\"a\": 2}', '$created_pg')"
created_lab=$(rt_sqlite "$RT_SQLITE" "SELECT created_at FROM memory_pins WHERE tenant_id = 'lab' AND key = 'k'")
rt_sqlite "$RT_SQLITE" "DELETE FROM memory_pins WHERE tenant_id = 'lab' AND key = 'k';
    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 500)
    INSERT INTO memory_pins (tenant_id, key, value, created_at, updated_at) SELECT 'lab-other', 'b' || n, '{}', '$created_lab', '$created_lab' FROM g;
    INSERT INTO memory_pins (tenant_id, key, value, created_at, updated_at) VALUES ('lab', 'k', '{\"l\":2}', '$created_lab', '$created_lab');"
mount_pinfs
for t in acme lab; do
    assert_eq "$(numbers $t)" "${first[$t]} ${first[$t]} ${first[$t]}" "$t/k after 500 pins elsewhere and a remount"
done

step "a new pin under the same name gets a new number"
as_user 20001 sh -c 'echo "{\"a\":3}" > "$1/acme/new"' _ "$MNT"
rm "$MNT/acme/k"
as_user 20001 sh -c 'echo "{\"a\":3}" > "$1/acme/k"' _ "$MNT"
read -r ino id dino <<<"$(numbers acme)"
assert_eq "$id $dino" "$ino $ino" "the new acme/k's numbers agree"
[[ "$ino" != "${first[acme]}" ]] || fail "the new acme/k kept the old pin's number $ino"
umount_pinfs
