# One uid cannot starve the others: every budget (open files, staged
# bytes, pending names, /.system handles) has a share per uid, and the top
# eighth of it is kept for root (tests/integration/fault/limits.py holds
# the resources; uids 10001-10003 have read+write on acme, 10009 no binding).
#   1. Small limits (max_open_files 64, 24 per uid; max_staged_bytes 8 MiB,
#      2 MiB per uid by default; max_pending_names 64, 16 per uid;
#      max_system_handles 32, 8 per uid):
#      a. uid A holding its 24 opens gets EMFILE; uid B and root still
#         open; B gets its own 24; a third uid gets the 8 left below the
#         reserve, then ENFILE; root gets the reserve, then ENFILE at 64.
#         Released, everything is given back.
#      b. A staging 900 KiB on 4 files gets 2 and ENOMEM on the others
#         while B and root write 900 KiB values; released, A writes again.
#      c. A holding 16 created names open gets EMFILE on the 17th while B
#         creates; 40 scratch files A abandons leave 16 pending (A's oldest
#         forgotten first), and never block B.
#      d. an unbound uid holding 8 /.system handles gets EMFILE; B and
#         root still open /.system files.
#      pinfs_limit_refusals_total counts each refusal by limit and scope.
#   2. Default limits: A abandoning 4200 scratch files (more than the old
#      global 4096) never makes B's or root's creates fail; A staging 300
#      unclosed 900 KiB writes gets ENOMEM past its 64 MiB while B and root
#      still write; root holding 160 MiB of staged writes and releasing
#      them: the daemon's RSS comes back to within 24 MiB of its base.
#   3. The same shares on the SQLite driver (open files, staged bytes).
ft_trap
LIM=$CASE_DIR/limits.py
cp -- "$PIT_SRC/tests/integration/fault/limits.py" "$LIM"
chmod 755 "$LIM"
A=10001 B=10002 C=10003 U=10009
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 10001, "roles": ["machine"], "tenants": ["acme"]},
            {"uid": 10002, "roles": ["machine"], "tenants": ["acme"]},
            {"uid": 10003, "roles": ["machine"], "tenants": ["acme"]}]'

# limits_config EXTRA_JSON [BACKEND]: rb_config (policy, route "*" to BACKEND
# or the case database) with EXTRA_JSON merged into the top level.
limits_config()
{
    rb_config
    jq --argjson x "$1" --arg be "${2:-}" \
        '. + $x | if $be == "" then . else .routes[0].backend = $be end' "$CONFIG" >"$CONFIG.tmp"
    mv -f -- "$CONFIG.tmp" "$CONFIG"
}

declare -A HOLD_PID
# hold TAG UID KIND PATH N [KIB]: limits.py hold as UID in the background;
# returns once it has tried all N (its first JSON line is in $CASE_DIR/TAG.out).
hold()
{
    local tag=$1 uid=$2 i
    shift 2
    rm -f -- "$CASE_DIR/$tag.release"
    as_user "$uid" /usr/bin/python3 "$LIM" hold "$1" "$2" "$3" "$CASE_DIR/$tag.release" ${4:+"$4"} \
        >"$CASE_DIR/$tag.out" 2>&1 &
    HOLD_PID[$tag]=$!
    ft_bg "${HOLD_PID[$tag]}"
    for ((i = 0; i < 600; i++)); do
        grep -q '^{' "$CASE_DIR/$tag.out" && return 0
        pid_running "${HOLD_PID[$tag]}" || break
        sleep 0.05
    done
    cat -- "$CASE_DIR/$tag.out" >&2
    fail "hold $tag ($*) as uid $uid did not report"
}
# held TAG: "HELD ERRORS FIRST_ERROR_AT" of TAG's first line.
held()
{
    ft_field "$CASE_DIR/$1.out" \
        '"\(.held) \(.errors | to_entries | map("\(.key)=\(.value)") | join(",")) \(.first_error_at)"'
}
# release TAG: lets TAG go and waits for it.
release()
{
    touch -- "$CASE_DIR/$1.release"
    wait "${HOLD_PID[$1]}" || fail "hold $1 exited with status $?"
}
metric()
{
    rb_metric "$1"
}
refusals()
{
    metric "pinfs_limit_refusals_total{limit=\"$1\",scope=\"$2\"}"
}
in_use()
{
    metric "pinfs_limit_in_use{limit=\"$1\"}"
}
# settle LIMIT N WHAT: waits (5 s) until N are held of LIMIT: the kernel
# sends RELEASE after close() has returned.
settle()
{
    assert_eq "$(rb_poll 5 "$2" in_use "$1")" "$2" "$3"
}

step "1. small limits"
limits_config '{"max_open_files": 64, "max_open_files_per_uid": 24, "max_staged_bytes": 8388608,
                "max_value_bytes": 1048576, "max_pending_names": 64, "max_system_handles": 32}'
mount_pinfs
mkdir "$MNT/acme"
for ((i = 0; i < 40; i++)); do
    echo "{\"k\": $i}" >"$MNT/acme/k$i"
done

step "1a. open files: A holds its share"
hold oa $A open "$MNT/acme/k" 30
assert_eq "$(held oa)" "24 EMFILE=6 24" "A's 30 opens: 24 held, then EMFILE"
assert_eq "$(as_user $B probe open-r "$MNT/acme/k30")" OK "B opens while A holds its share"
assert_eq "$(probe open-r "$MNT/acme/k31")" OK "root opens while A holds its share"
assert_eq "$(as_user $A probe open-r "$MNT/acme/k31")" EMFILE "A's next open from another process"
settle open_files 24 "open files held: A's 24"
hold ob $B open "$MNT/acme/k" 30
assert_eq "$(held ob)" "24 EMFILE=6 24" "B's 30 opens: its own 24"
settle open_files 48 "open files held: A's and B's"
hold oc $C open "$MNT/acme/k" 30
assert_eq "$(held oc)" "8 ENFILE=22 8" "C's 30 opens: the 8 left below the reserve (56), then ENFILE"
hold or 0 open "$MNT/acme/k" 12
assert_eq "$(held or)" "8 ENFILE=4 8" "root's 12 opens: the reserve (8), then ENFILE at 64"
assert_eq "$(in_use open_files)" 64 "pinfs_limit_in_use{open_files} with all held"
assert_eq "$(refusals open_files share)" 13 "open_files share refusals (A 6+1, B 6)"
assert_eq "$(refusals open_files total)" 26 "open_files total refusals (C 22, root 4)"
for t in oa ob oc or; do
    release $t
done
settle open_files 0 "open files held after the release"
assert_eq "$(as_user $A probe open-r "$MNT/acme/k0")" OK "A opens again"

step "1b. staged bytes: A stages its 2 MiB"
hold sa $A stage "$MNT/acme/sa" 4 900
assert_eq "$(held sa)" "4 write:ENOMEM=2 2" "A's 4 writers of 900 KiB: 2 stage, 2 get ENOMEM"
assert_eq "$(ft_field "$CASE_DIR/sa.out" .staged)" 1843202 "bytes A staged"
assert_eq "$(as_user $B /usr/bin/python3 "$LIM" write "$MNT/acme/b-big" 900)" "write=OK close=OK" \
    "B writes 900 KiB while A holds its share"
assert_eq "$(/usr/bin/python3 "$LIM" write "$MNT/acme/root-big" 900)" "write=OK close=OK" \
    "root writes 900 KiB while A holds its share"
assert_eq "$(refusals staged_bytes share)" 2 "staged_bytes share refusals"
assert_eq "$(refusals staged_bytes total)" 0 "staged_bytes total refusals"
release sa
settle staged_bytes 0 "staged bytes held after the release"
assert_eq "$(as_user $A /usr/bin/python3 "$LIM" write "$MNT/acme/a-big" 900)" "write=OK close=OK" \
    "A writes 900 KiB after the release"
assert_eq "$(pg_sql "SELECT key || '=' || length(value #>> '{}') FROM system.memory_pins
                     WHERE key LIKE '%-big' ORDER BY key" | paste -sd ' ')" \
    "a-big=921600 b-big=921600 root-big=921600" "the committed values"

step "1c. pending names: A's created names and abandoned scratch files"
hold pa $A create "$MNT/acme/p" 20
assert_eq "$(held pa)" "16 EMFILE=4 16" "A's 20 creates held open: 16, then EMFILE"
assert_eq "$(as_user $B probe write-trunc "$MNT/acme/b-new" '{"b": 1}')" "write=OK close=OK" \
    "B creates while A holds its 16 names"
assert_eq "$(refusals pending_names share)" 4 "pending_names share refusals"
release pa
settle pending_names 0 "pending names after A closed its empty files"
settle open_files 0 "open files after A closed its empty files"
out=$(as_user $A /usr/bin/python3 "$LIM" scratch "$MNT/acme" 40)
step "  $out"
assert_eq "$(jq -r '"\(.created) \(.errors | length)"' <<<"$out")" "40 0" "A abandons 40 scratch files"
assert_eq "$(in_use pending_names)" 16 "pending names: A's share, its oldest forgotten"
assert_eq "$(as_user $A probe stat "$MNT/acme/$(jq -r .first <<<"$out")")" ENOENT "A's first scratch file"
assert_match "$(as_user $A probe stat "$MNT/acme/$(jq -r .last <<<"$out")")" '^OK' "A's last scratch file"
assert_eq "$(as_user $B probe write-trunc "$MNT/acme/b-new2" '{"b": 2}')" "write=OK close=OK" \
    "B creates while A has 16 abandoned names"
assert_eq "$(refusals pending_names share)" 4 "pending_names share refusals (evictions are not)"

step "1d. /.system handles: an unbound uid holds its share"
hold su $U sysopen "$MNT/.system/health" 12
assert_eq "$(held su)" "8 EMFILE=4 8" "the unbound uid's 12 opens of health: 8, then EMFILE"
assert_eq "$(as_user $B probe open-r "$MNT/.system/whoami")" OK "B opens whoami"
assert_eq "$(probe open-r "$MNT/.system/health")" OK "root opens health"
assert_eq "$(refusals system_handles share)" 4 "system_handles share refusals"
assert_eq "$(in_use system_handles)" 9 "/.system handles held (8, and root's metrics read)"
release su
settle system_handles 1 "/.system handles after the release (root's metrics read)"
assert_eq "$(metric 'pinfs_limit_refusals_total{limit="pool",scope="total"}')" 0 "pool refusals"
umount_pinfs

step "2. default limits"
limits_config '{}'
mount_pinfs
mkdir -p "$MNT/acme"
t0=$(date +%s%3N)
out=$(as_user $A /usr/bin/python3 "$LIM" scratch "$MNT/acme" 4200)
step "  A abandoned scratch files in $(($(date +%s%3N) - t0)) ms: $out"
assert_eq "$(jq -r '"\(.created) \(.errors | length)"' <<<"$out")" "4200 0" "A abandons 4200 scratch files"
settle pending_names 1024 "pending names: A's share (a quarter of 4096)"
assert_eq "$(as_user $B probe write-trunc "$MNT/acme/b-after" '{"b": 3}')" "write=OK close=OK" \
    "B creates after A's 4200 scratch files"
assert_eq "$(probe write-trunc "$MNT/acme/root-after" '{"r": 3}')" "write=OK close=OK" \
    "root creates after A's 4200 scratch files"
out=$(as_user $B /usr/bin/python3 "$LIM" scratch "$MNT/acme" 10)
assert_eq "$(jq -r .created <<<"$out")" 10 "B's own scratch files"

step "2b. staged bytes: A's 300 unclosed 900 KiB writes"
hold sa2 $A stage "$MNT/acme/s" 300 900
assert_eq "$(held sa2)" "300 write:ENOMEM=236 64" "A stages 64 MiB (its share), then ENOMEM"
assert_eq "$(as_user $B /usr/bin/python3 "$LIM" write "$MNT/acme/b-big" 900)" "write=OK close=OK" \
    "B writes 900 KiB while A holds 64 MiB"
assert_eq "$(/usr/bin/python3 "$LIM" write "$MNT/acme/root-big" 900)" "write=OK close=OK" \
    "root writes 900 KiB while A holds 64 MiB"
release sa2
settle staged_bytes 0 "staged bytes held after A's release"
settle open_files 0 "open files after A's release"

step "2c. memory comes back after staged bytes are released"
/usr/bin/python3 "$LIM" write "$MNT/acme/warm" 1000 >/dev/null
sleep 0.5
base=$(ft_rss_kb "$PINFS_PID")
hold sr 0 stage "$MNT/acme/r" 160 1000
peak=$(ft_rss_kb "$PINFS_PID")
assert_eq "$(held sr)" "160  null" "root stages 160 writes of 1000 KiB"
release sr
settle staged_bytes 0 "staged bytes held after root's release"
sleep 1.5
after=$(ft_rss_kb "$PINFS_PID")
step "  daemon RSS: base $base KiB, holding 160 MiB $peak KiB, released $after KiB"
if ft_asan; then
    step "  (AddressSanitizer build: its quarantine keeps freed memory, RSS not checked)"
else
    (((peak - base) > 131072)) || fail "RSS grew by only $((peak - base)) KiB while 160 MiB were staged"
    (((after - base) < 24576)) || fail "RSS stayed $((after - base)) KiB above its base after the release"
fi
rss_line="rss_base_kib=$base rss_holding_kib=$peak rss_released_kib=$after"
umount_pinfs

step "3. the SQLite driver"
limits_config '{"max_open_files": 64, "max_open_files_per_uid": 24, "max_staged_bytes": 8388608}' \
    "$(rt_sqlite_uri "$CASE_DIR/pins.db")"
rt_migrate
mount_pinfs
mkdir "$MNT/acme"
for ((i = 0; i < 32; i++)); do
    echo "{\"k\": $i}" >"$MNT/acme/k$i"
done
hold qa $A open "$MNT/acme/k" 30
assert_eq "$(held qa)" "24 EMFILE=6 24" "SQLite: A's 30 opens"
assert_eq "$(as_user $B probe open-r "$MNT/acme/k30")" OK "SQLite: B opens while A holds its share"
release qa
settle open_files 0 "SQLite: open files after the release"
hold qs $A stage "$MNT/acme/sa" 4 900
assert_eq "$(held qs)" "4 write:ENOMEM=2 2" "SQLite: A's 4 writers of 900 KiB"
assert_eq "$(as_user $B /usr/bin/python3 "$LIM" write "$MNT/acme/b-big" 900)" "write=OK close=OK" \
    "SQLite: B writes 900 KiB while A holds its share"
release qs
assert_eq "$(rt_sqlite "$CASE_DIR/pins.db" "SELECT count(*) FROM memory_pins WHERE key = 'b-big'")" 1 \
    "SQLite: B's row"
ft_report "counts: open_files_share=24 staged_share_mib=2 pending_share=16 system_share=8 scratch_4200_pending=1024 $rss_line"
umount_pinfs
