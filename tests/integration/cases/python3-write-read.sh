# Python's open/write/close stores a value; open/read returns the canonical
# text and json.load round-trips it.
mount_pinfs
mkdir "$MNT/acme"
/usr/bin/python3 - "$MNT/acme/py" <<'PY'
import json, sys
path = sys.argv[1]
with open(path, "w") as f:
    json.dump({"lang": "python", "n": [1, 2, 3], "ok": True}, f)
with open(path) as f:
    text = f.read()
assert text == '{\n  "n": [\n    1,\n    2,\n    3\n  ],\n  "ok": true,\n  "lang": "python"\n}\n', repr(text)
with open(path) as f:
    assert json.load(f) == {"lang": "python", "n": [1, 2, 3], "ok": True}
PY
assert_eq "$(pg_sql "SELECT value::text FROM system.memory_pins WHERE key = 'py'")" \
    '{"n": [1, 2, 3], "ok": true, "lang": "python"}' "stored value"
umount_pinfs
