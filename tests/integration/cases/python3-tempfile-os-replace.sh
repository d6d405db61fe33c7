# Python's atomic-replace idiom (NamedTemporaryFile in the same directory,
# fsync, os.replace) updates the pin and leaves no temporary pin behind.
mount_pinfs
mkdir "$MNT/acme"
echo '{"gen":1}' >"$MNT/acme/cfg"
/usr/bin/python3 - "$MNT/acme" <<'PY'
import json, os, sys, tempfile
d = sys.argv[1]
with tempfile.NamedTemporaryFile("w", dir=d, delete=False) as f:
    json.dump({"gen": 2}, f)
    f.flush()
    os.fsync(f.fileno())
os.replace(f.name, os.path.join(d, "cfg"))
PY
assert_eq "$(cat "$MNT/acme/cfg")" $'{\n  "gen": 2\n}' "after os.replace"
assert_eq "$(ls -A "$MNT/acme")" cfg "no temporary left"
assert_eq "$(pg_sql "SELECT string_agg(key || '=' || value::text, ' ') FROM system.memory_pins")" \
    'cfg={"gen": 2}' "rows"
umount_pinfs
