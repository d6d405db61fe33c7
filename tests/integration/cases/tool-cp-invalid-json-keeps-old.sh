# cp of a file that is not one JSON document reports the error (exit 1,
# "Invalid argument": at the write for bytes that cannot start JSON, at the
# close for an incomplete document), keeps the destination's old value and
# creates no new key. cp -r of a directory with such a file creates only
# the valid keys.
mount_pinfs
mkdir "$MNT/acme"
echo '{"c":1}' >"$MNT/acme/k"
printf 'not json\n' >notjson.txt
printf '{"c":\n' >incomplete.json

for src in notjson.txt incomplete.json; do
    for dst in k new; do
        rc=0
        err=$(cp "$src" "$MNT/acme/$dst" 2>&1) || rc=$?
        assert_eq "$rc" 1 "cp $src $dst exit status"
        assert_match "$err" "^cp: .*/acme/$dst'?: Invalid argument$" "cp $src $dst message"
    done
done
assert_eq "$(tool_value acme k)" '{"c": 1}' "stored value"
tool_assert_pins 'acme|k'

mkdir -p mixed
echo '"good"' >mixed/good
cp notjson.txt mixed/bad
if cp -r mixed "$MNT/" 2>/dev/null; then
    fail "cp -r of a directory with a non-JSON file succeeded"
fi
assert_eq "$(tool_value mixed good)" '"good"' "the valid key of cp -r"
tool_assert_pins 'acme|k' 'mixed|good'
umount_pinfs
