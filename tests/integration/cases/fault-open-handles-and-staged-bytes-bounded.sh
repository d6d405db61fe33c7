# Open pin files and staged bytes are bounded, with errors, not memory
# growth (tests/integration/fault/limits.py does the I/O).
#   1. max_open_files 16: 16 pin files open; the 17th open, a create and an
#      open from another process fail with ENFILE; the held files still
#      read; closing one lets one more open; failed opens use up nothing.
#   2. max_staged_bytes 1 MiB, max_value_bytes 1 MiB: writer A stages
#      700 KiB and keeps its file open; writer B's write of 700 KiB fails
#      with ENOMEM, and so do its next write and its close; nothing of B is
#      committed, A commits. Five 900 KiB writes in turn then succeed, and
#      so does one while a dup of the previous file is still open (a close
#      that commits gives its staged bytes back before RELEASE).
#   3. A flood (second mount: max_value_bytes 64 MiB, max_staged_bytes
#      4 MiB, max_open_files 16): 16 writers each try to stage 48 MiB at
#      once (768 MiB if nothing stopped them). Every writer's write fails
#      with ENOMEM, at most 4 MiB are accepted in all, nothing is
#      committed, a 17th open fails with ENFILE, and the daemon's RSS
#      (sampled every 0.2 s) grows by less than 64 MiB (the staged limit,
#      plus the FUSE request buffers of 16 threads of up to 1 MiB each, plus
#      slack for the allocator; not 768 MiB).
# Then a plain write still works (the accounting gave everything back).
ft_trap
LIMITS=$PIT_SRC/tests/integration/fault/limits.py
ft_config '{"max_open_files": 16, "max_staged_bytes": 1048576, "max_value_bytes": 1048576}'
mount_pinfs
mkdir "$MNT/acme"
for ((i = 0; i < 20; i++)); do
    echo "{\"k\": $i}" >"$MNT/acme/k$i"
done

step "1. max_open_files 16"
"$FT_PY" "$LIMITS" open-files "$MNT/acme" 16 "$PROBE" >"$CASE_DIR/open-files.out"
cat -- "$CASE_DIR/open-files.out" >&2
of=$CASE_DIR/open-files.out
assert_eq "$(ft_field "$of" '.opened')" 16 "pin files opened"
assert_eq "$(ft_field "$of" '.open_errors | length')" 0 "errors opening the first 16"
assert_eq "$(ft_field "$of" '.one_more_read')" ENFILE "the 17th open (O_RDONLY)"
assert_eq "$(ft_field "$of" '.one_more_create')" ENFILE "a create while 16 are open"
assert_eq "$(ft_field "$of" '.other_process')" ENFILE "an open from another process while 16 are open"
assert_eq "$(ft_field "$of" '.held_read')" OK "reading a held file"
assert_eq "$(ft_field "$of" '.after_closing_one')" OK "an open after closing one"
assert_eq "$(ft_field "$of" '.full_again')" ENFILE "the next open (16 open again)"
assert_eq "$(ft_field "$of" '.refused_50 | to_entries | map("\(.key)=\(.value)") | join(",")')" ENFILE=50 \
    "50 opens past the limit"
assert_eq "$(ft_field "$of" '.reopened_after')" 16 "files opened after the 50 refusals"
assert_eq "$(probe stat "$MNT/acme/new-while-full")" ENOENT "the refused create left no name"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key = 'new-while-full'")" 0 "the refused create's row"

step "2. max_staged_bytes 1 MiB: two writers of 700 KiB"
rss0=$(ft_rss_kb "$PINFS_PID")
"$FT_PY" "$LIMITS" staged "$MNT/acme" 700 >"$CASE_DIR/staged.out"
cat -- "$CASE_DIR/staged.out" >&2
st=$CASE_DIR/staged.out
assert_eq "$(ft_field "$st" '"\(.a_staged) \(.a_error)"')" "716801 null" "writer A stages 700 KiB"
assert_eq "$(ft_field "$st" '.b_error')" ENOMEM "writer B's write past max_staged_bytes"
b_staged=$(ft_field "$st" '.b_staged')
((b_staged < 716801)) || fail "writer B staged all $b_staged bytes"
assert_eq "$(ft_field "$st" '.b_again')" ENOMEM "writer B's next write (the file stays failed)"
assert_eq "$(ft_field "$st" '.b_close')" ENOMEM "writer B's close"
assert_eq "$(ft_field "$st" '"\(.a_finish) \(.a_close)"')" "null OK" "writer A finishes and closes"
assert_eq "$(ft_field "$st" '.then_900k_each | join(" ")')" "OK/OK OK/OK OK/OK OK/OK OK/OK" \
    "five 900 KiB writes in turn afterwards"
assert_eq "$(ft_field "$st" '.while_dup_held | join(" ")')" "OK/OK OK/OK" \
    "a 900 KiB write while a dup of the previous 900 KiB file is still open"
assert_eq "$(ft_field "$st" '.dup_rewrite')" "OK/OK" "the dup writes over its committed value"
assert_eq "$(pg_sql "SELECT left(value #>> '{}', 3) FROM system.memory_pins WHERE key = 'big-d0'")" DDD \
    "the dup's rewrite is the value"
assert_eq "$(pg_sql "SELECT key || '=' || length(value #>> '{}') FROM system.memory_pins
                     WHERE key LIKE 'big-%' ORDER BY key" | paste -sd ' ')" \
    "big-a=716800 big-c0=921600 big-c1=921600 big-c2=921600 big-c3=921600 big-c4=921600 big-d0=921600 big-d1=921600" \
    "rows: A, the 900 KiB values and the dup's rewrite, nothing of B"
assert_eq "$(probe stat "$MNT/acme/big-b")" ENOENT "B's name"
rss1=$(ft_rss_kb "$PINFS_PID")
step "daemon RSS ${rss0} KiB before, ${rss1} KiB after"
umount_pinfs

step "3. a flood of 16 writers, 48 MiB each, against max_staged_bytes 4 MiB"
ft_config '{"max_open_files": 16, "max_staged_bytes": 4194304, "max_value_bytes": 67108864}'
mount_pinfs
mkdir "$MNT/flood"
echo '{"warm": true}' >"$MNT/flood/warm"
cat "$MNT/flood/warm" >/dev/null
sleep 0.5
base=$(ft_rss_kb "$PINFS_PID")
ft_rss_sampler "$PINFS_PID" "$CASE_DIR/rss-flood.txt" 0.2
t0=$(date +%s%3N)
"$FT_PY" "$LIMITS" flood "$MNT/flood" 16 48 >"$CASE_DIR/flood.out"
flood_ms=$(($(date +%s%3N) - t0))
sleep 0.4
ft_rss_stop
fl=$CASE_DIR/flood.out
ft_field "$fl" 'del(.writers)' >&2
peak=$(ft_rss_peak "$CASE_DIR/rss-flood.txt")
step "daemon RSS: $base KiB before, peak $peak KiB during the flood ($flood_ms ms)"
assert_eq "$(ft_field "$fl" '.one_more_open')" ENFILE "a 17th open during the flood"
assert_eq "$(ft_field "$fl" '.write_errors | join(",")')" ENOMEM "the writers' write errors"
assert_eq "$(ft_field "$fl" '.close_results | join(",")')" ENOMEM "the writers' closes"
total=$(ft_field "$fl" '.total_bytes_accepted')
((total <= 4194304)) || fail "the writers staged $total bytes in all (max_staged_bytes 4 MiB)"
assert_eq "$(pg_sql "SELECT count(*) FROM system.memory_pins WHERE key LIKE 'flood-%'")" 0 "rows of the flood"
growth=$((peak - base))
((growth < 65536)) || fail "the daemon's RSS grew by $growth KiB during the flood (bound 64 MiB)"
echo '{"after": "flood"}' >"$MNT/flood/after"
assert_eq "$(cat "$MNT/flood/after")" $'{\n  "after": "flood"\n}' "a write after the flood"
ft_report "counts: open_files=16 17th=ENFILE staged_b=ENOMEM(write,close) flood_writers=16 flood_accepted_bytes=$total flood_rss_growth_kib=$growth (base $base, peak $peak)"
umount_pinfs
