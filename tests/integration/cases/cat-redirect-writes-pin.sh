# cat > KEY (a multi-line document from a here-document) stores the value.
mount_pinfs
mkdir "$MNT/acme"
cat >"$MNT/acme/k" <<'JSON'
{
    "multi": "line",
    "list": [ 1,
              2 ]
}
JSON
assert_content "$MNT/acme/k" <<'JSON'
{
  "list": [
    1,
    2
  ],
  "multi": "line"
}
JSON
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'k'")" \
    '{"list": [1, 2], "multi": "line"}' "stored value"
umount_pinfs
