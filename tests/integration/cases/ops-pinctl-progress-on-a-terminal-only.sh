# pinctl seed, expire and migrate on a PostgreSQL and an SQLite route: on a
# terminal (script(1) gives them one) a progress line with counts, rate and
# ETA is drawn on stderr with carriage returns, at most about 4 times a
# second, and erased; not on a pipe or file (stderr stays empty), and not
# with --quiet, which keeps the errors. A summary line always ends stdout.
# A dry run of expire counts every expired pin, not the first 1000.
command -v script >/dev/null || skip "script (util-linux) is not installed"
rt_pg_sqlite_config
n=3000
jq -n --argjson n "$n" '{pins: ([range($n) | {tenant: "acme", key: "k\(.)", value: {i: .}}]
                               + [range($n) | {tenant: "lab", key: "k\(.)", value: {i: .}}])}' >"$CASE_DIR/seed.json"
jq '.pins += [{tenant: "ghost", key: "k", value: 1}]' "$CASE_DIR/seed.json" >"$CASE_DIR/seed-ghost.json"
total=$((2 * n))
ctl() { "$PINCTL" --config "$CONFIG" "$@"; }
# on_tty OUT CMD...: runs CMD on a pseudo-terminal; OUT gets what it showed
# (stdout and stderr, "\r\n" line ends); returns CMD's exit status.
on_tty()
{
    local out=$1
    shift
    SHELL=/bin/bash script -qec "$(printf '%q ' "$@")" /dev/null >"$out" </dev/null
}
# last_line FILE: the last line a terminal would show (after the last "\r").
last_line() { sed 's/\r$//' "$1" | awk -F '\r' '{ print $NF }' | sed '/^ *$/d' | tail -n 1; }
# progress_lines FILE WHAT: the progress lines drawn (between carriage returns).
progress_lines() { tr '\r' '\n' <"$1" | grep -E -c "^$2: [0-9]" || true; }

step "seed on a pipe: no progress, the summary"
rc=0
t0=$(rt_now_ms)
ctl seed --file "$CASE_DIR/seed.json" >"$CASE_DIR/out" 2>"$CASE_DIR/err" || rc=$?
assert_eq "$rc" 0 "exit status"
assert_eq "$(cat "$CASE_DIR/err")" "" "stderr on a pipe"
assert_eq "$(cat "$CASE_DIR/out")" "seeded $total of $total pins" "stdout on a pipe"
step "seed took $(($(rt_now_ms) - t0)) ms"

step "seed on a terminal: a progress line with counts, rate and ETA, then the summary"
t0=$(rt_now_ms)
on_tty "$CASE_DIR/tty" "$PINCTL" --config "$CONFIG" seed --file "$CASE_DIR/seed.json" ||
    fail "pinctl seed on a terminal failed: $(cat "$CASE_DIR/tty")"
ms=$(($(rt_now_ms) - t0))
grep -qF $'\r'"seed: 0/$total pins (0%)" "$CASE_DIR/tty" || fail "no first progress line"
tr '\r' '\n' <"$CASE_DIR/tty" | grep -qE "^seed: [0-9]+/$total pins \([0-9]+%\), [0-9.]+ pins/s, ETA [0-9hms]+ *$" ||
    fail "no progress line with a rate and an ETA in $(tr '\r' '\n' <"$CASE_DIR/tty" | head -c 2000)"
drawn=$(progress_lines "$CASE_DIR/tty" seed)
step "seed on a terminal: $drawn progress lines in $ms ms"
((drawn <= ms / 250 + 2)) || fail "$drawn progress lines in $ms ms: more than 4 a second"
assert_eq "$(last_line "$CASE_DIR/tty")" "seeded $total of $total pins" "the summary ends the output"

step "--quiet on a terminal: no progress line, the errors and the summary stay"
rc=0
on_tty "$CASE_DIR/quiet" "$PINCTL" --config "$CONFIG" --quiet seed --file "$CASE_DIR/seed-ghost.json" || rc=$?
assert_eq "$rc" 1 "exit status with an unrouted pin"
assert_eq "$(progress_lines "$CASE_DIR/quiet" seed)" 0 "progress lines with --quiet"
grep -qF 'pinctl: ghost/k: no route for tenant "ghost"' "$CASE_DIR/quiet" || fail "the error is gone with --quiet"
assert_eq "$(last_line "$CASE_DIR/quiet")" "seeded $total of $((total + 1)) pins" "the summary with --quiet"

step "migrate on a terminal and on a pipe"
on_tty "$CASE_DIR/mig" "$PINCTL" --config "$CONFIG" migrate status || fail "migrate status failed"
grep -qF $'\r''migrate status: 0/2 backends (0%)' "$CASE_DIR/mig" || fail "no migrate progress line"
assert_eq "$(last_line "$CASE_DIR/mig")" "migrate status: 2 of 2 backends up to date" "migrate summary"
ctl migrate up >"$CASE_DIR/out" 2>"$CASE_DIR/err"
assert_eq "$(cat "$CASE_DIR/err")" "" "migrate up's stderr on a pipe"
assert_eq "$(tail -n 1 "$CASE_DIR/out")" "migrate up: applied 0 migrations on 2 backends" "migrate up's summary"

step "expire: a dry run counts them all, the real run shows progress on a terminal"
pg_sql "UPDATE system.memory_pins SET ttl_seconds = 1, expires_at = now() - interval '1 minute'"
rt_sqlite "$RT_SQLITE" "UPDATE memory_pins SET ttl_seconds = 1, expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')"
ctl expire --dry-run >"$CASE_DIR/out" 2>"$CASE_DIR/err"
assert_eq "$(cat "$CASE_DIR/err")" "" "dry run's stderr"
assert_eq "$(grep -c '^would expire ' "$CASE_DIR/out")" "$total" "pins the dry run lists"
assert_eq "$(tail -n 1 "$CASE_DIR/out")" "$total pins would expire on 2 backends" "dry run's summary"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" "$n" "PostgreSQL pins after the dry run"
on_tty "$CASE_DIR/exp" "$PINCTL" --config "$CONFIG" expire || fail "pinctl expire on a terminal failed"
grep -qF $'\r'"expire: 0/$total pins (0%)" "$CASE_DIR/exp" || fail "no expire progress line with the total"
assert_eq "$(last_line "$CASE_DIR/exp")" "expired $total pins on 2 backends" "expire's summary"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins")" 0 "PostgreSQL pins after expire"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT count(*) FROM memory_pins")" 0 "SQLite pins after expire"
ctl expire >"$CASE_DIR/out" 2>"$CASE_DIR/err"
assert_eq "$(cat "$CASE_DIR/err")" "" "expire's stderr on a pipe"
assert_eq "$(tail -n 1 "$CASE_DIR/out")" "expired 0 pins on 2 backends" "a second expire's summary"
