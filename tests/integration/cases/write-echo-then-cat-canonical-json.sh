# echo '{...}' > key stores the value (source "fs") and cat prints it as
# canonical JSON: 2-space indent, keys in JSONB order, numbers as stored,
# trailing newline.
mount_pinfs
mkdir "$MNT/acme"
echo '{"name":"x","b":[1,2.50,{"z":null},"é"],"a":true}' >"$MNT/acme/k"

assert_content "$MNT/acme/k" <<'JSON'
{
  "a": true,
  "b": [
    1,
    2.50,
    {
      "z": null
    },
    "é"
  ],
  "name": "x"
}
JSON
assert_eq "$(pg_sql "SELECT value::text || ' ' || source FROM system.memory_pins
                     WHERE tenant_id = 'acme' AND key = 'k'")" \
    '{"a": true, "b": [1, 2.50, {"z": null}, "é"], "name": "x"} fs' "stored row"
umount_pinfs
