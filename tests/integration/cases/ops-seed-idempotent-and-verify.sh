# pinctl seed with the shipped seed file on PostgreSQL: --dry-run changes
# nothing; seeding writes the 7 default pins with their numbers as written;
# seeding twice leaves the same rows (ids, values, sources, creation times);
# --verify reads every pin back and fails when a value read back differs;
# --wait waits for a backend that is not there yet, and gives up after its
# deadline.
# shellcheck source=../lib/ops.sh
source "$PIT_SRC/tests/integration/lib/ops.sh"
seed_file="$PIT_SRC/examples/memory_pins_seed.json"
write_config

rows()
{
    pg_sql "SELECT id || '|' || tenant_id || '|' || key || '|' || value::text || '|' || source || '|'
                   || created_at || '|' || coalesce(ttl_seconds::text, '-') || '|'
                   || coalesce(expires_at::text, '-')
              FROM system.memory_pins ORDER BY tenant_id, key"
}
audit_count()
{
    pg_sql "SELECT count(*) FROM system.memory_audit"
}

step "--dry-run writes nothing"
audit0=$(audit_count)
out=$("$PINCTL" --config "$CONFIG" seed --file "$seed_file" --dry-run)
echo "$out" >&2
assert_eq "$(grep -c '^would write global/' <<<"$out")" 7 "dry-run lines"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 0 "pins after --dry-run"
assert_eq "$(pg_sql "SELECT count(*) FROM system.tenants")" 0 "tenants after --dry-run"
assert_eq "$(audit_count)" "$audit0" "audit rows after --dry-run"

step "seed --verify writes and reads back the 7 default pins"
out=$("$PINCTL" --config "$CONFIG" seed --file "$seed_file" --verify)
assert_eq "$out" "seeded 7 of 7 pins, verified" "pinctl seed output"
assert_eq "$(pg_sql "SELECT string_agg(key, ' ' ORDER BY key) FROM system.memory_pins WHERE tenant_id = 'global'")" \
    "budget feature_flags observability rate_limits retry_policy skill_registry system:version" "seeded keys"
assert_eq "$(pg_sql "SELECT count(DISTINCT source) || ' ' || min(source) FROM system.memory_pins")" "1 seed" "source"
# Numbers exactly as the seed file writes them (not 2 or 0.80000000000000004).
assert_eq "$(pg_sql "SELECT value->'multiplier' FROM system.memory_pins WHERE key = 'retry_policy'")" 2.0 "retry_policy.multiplier"
assert_eq "$(pg_sql "SELECT value->'alert_thresholds' FROM system.memory_pins WHERE key = 'budget'")" \
    "[0.5, 0.8, 0.95]" "budget.alert_thresholds"
first=$(rows)

step "seeding again leaves the same rows"
sleep 1.1       # a changed created_at would show
out=$("$PINCTL" --config "$CONFIG" seed --file "$seed_file" --verify)
assert_eq "$out" "seeded 7 of 7 pins, verified" "second pinctl seed output"
second=$(rows)
assert_eq "$second" "$first" "rows after the second seed"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 7 "row count after the second seed"

step "the pins read back through a mount"
mount_pinfs
assert_eq "$(ls "$MNT/global" | wc -l)" 7 "ls /global"
assert_eq "$(jq -cS . "$MNT/global/feature_flags")" \
    "$(jq -cS '.pins[] | select(.key == "feature_flags") | .value' "$seed_file")" "feature_flags through the mount (jsonb orders keys)"
umount_pinfs

step "--verify fails when a value reads back different"
pg_sql "CREATE FUNCTION pg_temp_tamper() RETURNS trigger LANGUAGE plpgsql AS \$\$
        BEGIN IF NEW.key = 'budget' THEN NEW.value := '{\"tampered\": true}'; END IF; RETURN NEW; END \$\$;
        CREATE TRIGGER ops_tamper BEFORE INSERT OR UPDATE ON system.memory_pins
        FOR EACH ROW EXECUTE FUNCTION pg_temp_tamper()"
rc=0
out=$("$PINCTL" --config "$CONFIG" seed --file "$seed_file" --verify 2>&1) || rc=$?
echo "$out" >&2
assert_eq "$rc" 1 "exit status of seed --verify with a tampered read-back"
assert_match "$out" 'global/budget: read back a different value' "seed --verify message"
pg_sql "DROP TRIGGER ops_tamper ON system.memory_pins; DROP FUNCTION pg_temp_tamper()"

step "--wait gives up on a backend that never answers"
mkdir -p "$CASE_DIR/sock"
cat >"$CASE_DIR/later.json" <<EOF
{"mode": "saas", "routes": [{"tenant": "*", "backend": "postgresql:///$CASE_DB?host=$CASE_DIR/sock"}]}
EOF
rc=0
t0=$SECONDS
out=$("$PINCTL" --config "$CASE_DIR/later.json" seed --file "$seed_file" --wait 2 2>&1) || rc=$?
assert_eq "$rc" 1 "exit status of seed --wait 2 without a server"
assert_match "$out" 'did not answer within 2 s' "seed --wait message"
((SECONDS - t0 >= 2)) || fail "seed --wait 2 gave up after less than 2 s"

step "--wait waits for a backend that comes up"
pg_sql "DELETE FROM system.memory_pins"
# The server "starts" 2 s later: its socket appears in the route's socket dir.
(sleep 2 && ln -s "$PIT_PG_SOCK/.s.PGSQL.5432" "$CASE_DIR/sock/.s.PGSQL.5432") &
ops_bg $!
t0=$SECONDS
out=$("$PINCTL" --config "$CASE_DIR/later.json" seed --file "$seed_file" --wait 20 --verify 2>"$CASE_DIR/wait.err")
assert_eq "$out" "seeded 7 of 7 pins, verified" "seed --wait 20 output"
((SECONDS - t0 >= 1)) || fail "seed --wait returned before the server came up"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 7 "rows after seed --wait"
true
