# Numbers are stored and read back as PostgreSQL's numeric prints them, on
# both drivers (1e999 is a 1 and 999 zeros, -0 is 0, 1.50 stays 1.50); a
# number PostgreSQL cannot hold and an object with a key twice are EINVAL
# and the old value stays. The same bytes come back from a PostgreSQL route
# and an SQLite route, and stat agrees with cat.
policy=$(rt_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                     {"uid": 10001, "roles": ["machine"], "tenants": ["acme", "lab"]}]')
RT_EXTRA="{\"policy\": \"$policy\"}"
rt_pg_sqlite_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/lab"
w() # TENANT KEY TEXT: writes as uid 10001, prints probe's result
{
    as_user 10001 probe write-trunc "$MNT/$1/$2" "$3"
}

for t in acme lab; do
    step "$t: numbers"
    assert_eq "$(w "$t" e999 1e999)" "write=OK close=OK" "$t: 1e999"
    assert_eq "$(cat "$MNT/$t/e999")" "1$(printf '%0999d' 0)" "$t: 1e999 reads as 1000 digits"
    assert_eq "$(w "$t" negzero -0)" "write=OK close=OK" "$t: -0"
    assert_eq "$(cat "$MNT/$t/negzero")" 0 "$t: -0 reads as 0"
    # (Keys in jsonb's order, shortest first, so both drivers list them alike.)
    assert_eq "$(w "$t" scale '{"a": 1.50, "b": 1.5e-3, "c": 1E+2, "d": -0.0}')" \
        "write=OK close=OK" "$t: an object of numbers"
    assert_content "$MNT/$t/scale" <<'JSON'
{
  "a": 1.50,
  "b": 0.0015,
  "c": 100,
  "d": 0.0
}
JSON
    assert_eq "$(w "$t" limit 1e131071)" "write=OK close=OK" "$t: 1e131071 (numeric's largest)"
    assert_eq "$(as_user 10001 probe stat "$MNT/$t/limit")" "OK 131073" "$t: 131,072 digits and a newline"
    assert_eq "$(as_user 10001 wc -c <"$MNT/$t/limit")" 131073 "$t: cat of 1e131071"

    step "$t: what PostgreSQL refuses, refused on both"
    echo '{"v": 1}' >"$MNT/$t/k"
    assert_eq "$(w "$t" k 1e131072)" "write=OK close=EINVAL" "$t: 1e131072 (judged at close)"
    assert_eq "$(w "$t" k "[1e-16384, 1]")" "write=EINVAL close=EINVAL" "$t: 1e-16384 (judged at the write)"
    assert_eq "$(w "$t" k '{"a": 1, "a": 2}')" "write=OK close=EINVAL" "$t: a key twice"
    assert_eq "$(w "$t" k '{"x": {"b": 1, "\u0062": 2}}')" "write=OK close=EINVAL" "$t: a key twice, once escaped"
    err=$(as_user 10001 /bin/bash -c "echo '1e131072' >'$MNT/$t/k'" 2>&1) && fail "$t: echo 1e131072 succeeded"
    assert_match "$err" 'Invalid argument' "$t: echo's message"
    assert_eq "$(cat "$MNT/$t/k")" $'{\n  "v": 1\n}' "$t: the old value after the refusals"
    assert_eq "$(w "$t" k '{"a": 1, "b": {"a": 2}}')" "write=OK close=OK" "$t: the same key in two objects"
done

step "the same bytes from both drivers"
for k in e999 negzero scale limit k; do
    cmp -s "$MNT/acme/$k" "$MNT/lab/$k" || fail "$k reads differently from acme and lab"
    for t in acme lab; do
        assert_eq "$(stat -c %s "$MNT/$t/$k")" "$(wc -c <"$MNT/$t/$k")" "$t/$k: stat agrees with cat"
    done
done
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE tenant_id = 'acme' AND key = 'scale'")" \
    '{"a": 1.50, "b": 0.0015, "c": 100, "d": 0.0}' "PostgreSQL's row"
assert_eq "$(rt_sqlite "$RT_SQLITE" "SELECT value FROM memory_pins WHERE key = 'scale'")" \
    '{"a":1.50,"b":0.0015,"c":100,"d":0.0}' "SQLite's row: the same numbers"
umount_pinfs
