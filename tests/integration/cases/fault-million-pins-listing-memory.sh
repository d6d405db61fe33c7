# A tenant of 1,000,000 pins (PIT_FAULT_PINS overrides the count), inserted
# with SQL, lists completely through the mount, and the daemon's memory
# does not grow with the listing. Python's os.scandir counts the entries
# (and notes when it passed each tenth); then `ls -f | wc -l` lists them
# again. The daemon's VmRSS is sampled every 0.2 s throughout.
#   - Both listings see exactly N entries (ls -f: N + 2 with . and ..).
#   - Peak RSS stays under 64 MiB: about 12 MiB at rest, the daemon's pin
#     cache (16 MiB of accounted bytes, ~2x that with allocator overhead),
#     one readdir page (256 entries) per open directory, and slack.
#   - RSS does not grow with the listing: the peak over the last 80% of the
#     first listing exceeds the peak over its first 20% by under 8 MiB, and
#     the second listing's peak exceeds the first's by under 8 MiB. A
#     daemon that kept each entry (>= ~100 bytes) would grow by >= 76 MiB.
# Under AddressSanitizer (its quarantine keeps freed memory resident) the
# RSS bounds are reported but not asserted; the counts still are.
ft_trap
n=${PIT_FAULT_PINS:-1000000}
ft_config '{}'

step "insert $n pins into tenant big with SQL (triggers off: no change feed for the bulk load)"
t0=$(date +%s%3N)
pg_sql "SET session_replication_role = replica;
        INSERT INTO system.memory_pins (tenant_id, key, value)
        SELECT 'big', 'pin-' || lpad(g::text, 7, '0'), jsonb_build_object('n', g)
        FROM generate_series(1, $n) g;
        INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ('small', 'one', '1');
        ANALYZE system.memory_pins"
insert_ms=$(($(date +%s%3N) - t0))
step "inserted in $insert_ms ms"

mount_pinfs
assert_eq "$(ls "$MNT")" $'big\nsmall' "tenants"
assert_eq "$(cat "$MNT/small/one")" 1 "a pin of the small tenant"
sleep 0.3
rss_rest=$(ft_rss_kb "$PINFS_PID")
ft_rss_sampler "$PINFS_PID" "$CASE_DIR/rss.txt" 0.2

step "1. os.scandir over big"
t0=$(date +%s%3N)
"$FT_PY" - "$MNT/big" "$n" >"$CASE_DIR/scandir.out" <<'PY'
import json, os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
marks = []
count = 0
bad = 0
with os.scandir(d) as it:
    for e in it:
        count += 1
        if not e.name.startswith("pin-"):
            bad += 1
        if count % max(n // 10, 1) == 0:
            marks.append(int(time.time() * 1000))
print(json.dumps({"count": count, "bad_names": bad, "marks": marks}))
PY
scan_ms=$(($(date +%s%3N) - t0))
cat -- "$CASE_DIR/scandir.out" >&2
count=$(ft_field "$CASE_DIR/scandir.out" .count)
step "os.scandir: $count entries in $scan_ms ms"
assert_eq "$count" "$n" "entries seen by os.scandir"
assert_eq "$(ft_field "$CASE_DIR/scandir.out" .bad_names)" 0 "entries with unexpected names"
t_start=$t0
t_20=$(ft_field "$CASE_DIR/scandir.out" '.marks[1] // 0')
t_end=$(($(date +%s%3N)))

step "2. ls -f big | wc -l"
t1=$(date +%s%3N)
ls_count=$(ls -f -- "$MNT/big" | wc -l)
ls_ms=$(($(date +%s%3N) - t1))
step "ls -f: $ls_count lines in $ls_ms ms"
assert_eq "$ls_count" "$((n + 2))" "lines of ls -f (with . and ..)"
sleep 0.4
ft_rss_stop
t_after=$(date +%s%3N)

peak_first20=$(ft_rss_peak "$CASE_DIR/rss.txt" "$t_start" "$t_20")
peak_rest=$(ft_rss_peak "$CASE_DIR/rss.txt" "$t_20" "$t_end")
peak_first=$(ft_rss_peak "$CASE_DIR/rss.txt" "$t_start" "$t_end")
peak_second=$(ft_rss_peak "$CASE_DIR/rss.txt" "$t1" "$t_after")
peak=$(ft_rss_peak "$CASE_DIR/rss.txt")
samples=$(wc -l <"$CASE_DIR/rss.txt")
step "RSS (KiB): at rest $rss_rest; first listing: first 20% $peak_first20, rest $peak_rest; second listing $peak_second; peak $peak ($samples samples)"
((samples >= 5)) || fail "only $samples RSS samples: the daemon died, or the listing was too quick to sample"
grow1=$((peak_rest - peak_first20))
grow2=$((peak_second - peak_first))
if ft_asan; then
    step "AddressSanitizer build: RSS bounds reported, not asserted"
else
    ((peak < 65536)) || fail "peak RSS $peak KiB (bound 64 MiB)"
    ((grow1 < 8192)) || fail "RSS grew by $grow1 KiB over the first listing (bound 8 MiB)"
    ((grow2 < 8192)) || fail "the second listing's peak is $grow2 KiB above the first's (bound 8 MiB)"
fi
pid_running "$PINFS_PID" || fail "pinfs died"
ft_report "counts: pins=$n scandir=$count ls_f=$((ls_count - 2)) insert_ms=$insert_ms scandir_ms=$scan_ms ls_ms=$ls_ms rss_kib_rest=$rss_rest rss_kib_peak=$peak growth_first_listing_kib=$grow1 growth_second_listing_kib=$grow2"
umount_pinfs
