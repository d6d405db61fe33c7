# st_size is exactly the number of bytes read returns, for values of every
# shape (the canonical text is longer than what was written).
mount_pinfs
mkdir "$MNT/acme"
values=(
    '{"a":1}'
    '[1,2,[3,[4,{}]],[]]'
    '"plain string"'
    '"ünïcödé ✓ \u00e9 \n \" \\"'
    '-12.500'
    'null'
    '{"deep":{"er":{"est":[true,false,null,{"k":"v"}]}},"x":1e3}'
)
i=0
for v in "${values[@]}"; do
    i=$((i + 1))
    printf '%s\n' "$v" >"$MNT/acme/v$i"
    size=$(stat -c %s "$MNT/acme/v$i")
    bytes=$(cat "$MNT/acme/v$i" | wc -c)
    assert_eq "$size" "$bytes" "stat size vs cat bytes of $v"
    [[ "$size" -gt 0 ]] || fail "empty file for $v"
done
# ls -l reports the same sizes.
assert_eq "$(ls -l "$MNT/acme" | awk 'NR > 1 { s += $5 } END { print s }')" \
    "$(cat "$MNT"/acme/v* | wc -c)" "ls -l total size"
umount_pinfs
