# Seeding by "cp -r examples/seed/global MOUNT/" gives the same pins as
# "pinctl seed --file examples/memory_pins_seed.json": on PostgreSQL the
# same rows (tenant, key, value; only source differs: fs vs seed), and on
# SQLite, where the stored text is kept as written, the same bytes through
# the mount, byte for byte equal to the files of examples/seed/global.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
seed_file="$PIT_SRC/examples/memory_pins_seed.json"
seed_dir="$PIT_SRC/examples/seed/global"
db_cp="${CASE_DB}_cp"
ops_at_exit "pg_admin 'DROP DATABASE IF EXISTS \"$db_cp\"' >/dev/null 2>&1"
pg_admin "CREATE DATABASE \"$db_cp\" TEMPLATE tmpl"

pg_pins()
{
    "$PIT_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -h "$PIT_PG_SOCK" -d "$1" \
        -c "SELECT tenant_id || '|' || key || '|' || value::text FROM system.memory_pins ORDER BY 1"
}

step "PostgreSQL: pinctl seed into one database, cp -r into another"
write_config
"$PINCTL" --config "$CONFIG" seed --file "$seed_file" --verify >&2
write_config "$db_cp"
mount_pinfs
cp -r "$seed_dir" "$MNT/"
assert_eq "$(ls "$MNT/global" | wc -l)" 7 "pins after cp -r"
umount_pinfs
seeded=$(pg_pins "$CASE_DB")
copied=$(pg_pins "$db_cp")
assert_eq "$(wc -l <<<"$seeded")" 7 "rows seeded"
assert_eq "$copied" "$seeded" "rows of cp -r vs pinctl seed"
assert_eq "$("$PIT_PG_BIN/psql" -XAtq -h "$PIT_PG_SOCK" -d "$db_cp" -c "SELECT DISTINCT source FROM system.memory_pins")" \
    fs "source of the copied pins"

step "SQLite: the same bytes through the mount, equal to the seed tree"
for which in seeded copied; do
    cat >"$CASE_DIR/$which.json" <<EOF
{"mode": "system", "routes": [{"tenant": "*", "backend": "sqlite://$CASE_DIR/$which.db"}]}
EOF
    "$PINCTL" --config "$CASE_DIR/$which.json" migrate up >&2
done
"$PINCTL" --config "$CASE_DIR/seeded.json" seed --file "$seed_file" --verify >&2
cp "$CASE_DIR/copied.json" "$CONFIG"
mount_pinfs
cp -r "$seed_dir" "$MNT/"
diff -r "$seed_dir" "$MNT/global" >&2 || fail "cp -r: the mount differs from examples/seed/global"
umount_pinfs
cp "$CASE_DIR/seeded.json" "$CONFIG"
mount_pinfs
diff -r "$seed_dir" "$MNT/global" >&2 || fail "pinctl seed: the mount differs from examples/seed/global"
for f in "$seed_dir"/*; do
    assert_eq "$(stat -c %s "$MNT/global/${f##*/}")" "$(stat -c %s "$f")" "size of ${f##*/}"
done
umount_pinfs
true
