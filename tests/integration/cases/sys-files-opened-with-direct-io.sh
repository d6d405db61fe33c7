# The /.system files are opened with direct_io: stat reports a size that does
# not match the content, yet reads return the whole text (never truncated
# to the reported size), and each read pass sees the present, not a page
# cache copy (counters move between two reads of one open file).
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme"
size=$(stat -c %s "$MNT/.system/metrics")
bytes=$(wc -c <"$MNT/.system/metrics")
((bytes > 1000)) || fail "metrics is only $bytes bytes"
((bytes != size)) || step "metrics' size happens to match"
assert_eq "$(tail -n 1 "$MNT/.system/metrics" | grep -c .)" 1 "the last line is there"
# Reads in 7-byte steps get the whole text: every line one big read gets
# (the values aside: each read moves the FUSE request and RBAC counters).
assert_eq "$(dd if="$MNT/.system/metrics" bs=7 2>/dev/null | sed 's/ [^ ]*$//')" \
    "$(sed 's/ [^ ]*$//' "$MNT/.system/metrics")" "small reads get it all"
assert_eq "$(wc -c <"$MNT/.system/health")" 3 "health is 3 bytes whatever stat says"

# A new open sees new counters; the page cache never serves an old copy.
before=$(rb_metric 'memory_pins_operations_total{operation="upsert",status="ok"}')
echo '{"a":1}' >"$MNT/acme/k"
assert_eq "$(rb_metric 'memory_pins_operations_total{operation="upsert",status="ok"}')" $((before + 1)) "re-read"
echo '{"a":2}' >"$MNT/acme/k"
assert_eq "$(rb_metric 'memory_pins_operations_total{operation="upsert",status="ok"}')" $((before + 2)) "re-read again"
umount_pinfs
