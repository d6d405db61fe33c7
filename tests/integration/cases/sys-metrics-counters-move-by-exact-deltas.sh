# Counters move by exactly the operations performed: N writes add N to
# memory_pins_operations_total{operation="upsert",status="ok"}, and so on
# for reads, failed upserts, deletes, renames, mkdir, rmdir, xattr writes;
# the latency histogram counts every finished operation; denials add to
# rbac_decisions_total{decision="deny"}; a policy load adds 1 to
# rbac_policy_loads_total{status="success"}.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]'
rb_config
mount_pinfs
mkdir "$MNT/acme" "$MNT/beta"
echo '{"b":1}' >"$MNT/beta/k"
# One denial first: root's dentry for beta is then gone from the kernel's
# cache (a revalidation that fails is followed by a fresh LOOKUP, two
# decisions for one open), so each open below is exactly one decision.
as_user 20001 probe open-r "$MNT/beta/k" >/dev/null
sleep 0.2
cp "$MNT/.system/metrics" "$CASE_DIR/before.txt"

for i in 1 2 3 4 5; do echo "{\"i\":$i}" >"$MNT/acme/k$i"; done          # 5 upserts ok
for i in 1 2 3; do cat "$MNT/acme/k$i" >/dev/null; done                   # 3 reads ok
probe write-trunc "$MNT/acme/bad1" '{"a":' >/dev/null                     # upsert error (close)
probe write-trunc "$MNT/acme/bad2" 'nope' >/dev/null                      # upsert error (write)
rm "$MNT/acme/k5"                                                        # delete ok
mv "$MNT/acme/k4" "$MNT/acme/k6"                                         # rename ok
mkdir "$MNT/gamma"                                                       # mkdir ok
rmdir "$MNT/gamma"                                                       # rmdir ok
setfattr -n user.pin.ttl -v 600 "$MNT/acme/k1"                           # xattr_write ok
setfattr -x user.pin.ttl "$MNT/acme/k1"                                  # xattr_write ok
for i in 1 2 3; do as_user 20001 probe open-r "$MNT/beta/k" >/dev/null; done   # 3 read denials
as_user 20001 probe write-trunc "$MNT/acme/k1" '{}' >/dev/null                 # 1 write denial: an upsert error too
rb_policy_save '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
                 {"uid": 20001, "roles": ["dev"], "tenants": ["acme"]}]' true test-2
assert_eq "$(rb_poll 2 test-2 jq -r .version "$MNT/.system/policy")" test-2 "the policy reloaded"
sleep 0.3
cp "$MNT/.system/metrics" "$CASE_DIR/after.txt"

delta() # SAMPLE
{
    local a b
    a=$(rb_metric "$1" "$CASE_DIR/before.txt")
    b=$(rb_metric "$1" "$CASE_DIR/after.txt")
    [[ $a == absent ]] && a=0
    [[ $b == absent ]] && b=absent
    if [[ $b == absent ]]; then echo absent; else awk -v a="$a" -v b="$b" 'BEGIN { print b - a }'; fi
}
ops() { printf 'memory_pins_operations_total{operation="%s",status="%s"}' "$1" "$2"; }
declare -A want=(
    [upsert ok]=5 [upsert error]=3 [read ok]=3 [read error]=0 [delete ok]=1 [delete error]=0
    [rename ok]=1 [mkdir ok]=1 [rmdir ok]=1 [xattr_write ok]=2 [xattr_write error]=0 [expire ok]=0
)
problems=()
for k in "${!want[@]}"; do
    read -r op st <<<"$k"
    s=$(ops "$op" "$st")
    d=$(delta "$s")
    [[ "$d" == "${want[$k]}" ]] || problems+=("$s: +$d, expected +${want[$k]}")
done
for op in upsert read delete rename mkdir rmdir; do
    d=$(delta "memory_pins_latency_seconds_count{operation=\"$op\"}")
    ok=$(delta "$(ops "$op" ok)")
    err=$(delta "$(ops "$op" error)")
    [[ "$d" == $((ok + err)) ]] || problems+=("latency count for $op: +$d, expected +$((ok + err))")
done
d=$(delta 'rbac_decisions_total{resource="memory_pin",action="read",decision="deny",reason="out_of_scope"}')
[[ "$d" == 3 ]] || problems+=("read/deny/out_of_scope: +$d, expected +3")
d=$(delta 'rbac_decisions_total{resource="memory_pin",action="write",decision="deny",reason="no_permission"}')
[[ "$d" == 1 ]] || problems+=("write/deny/no_permission: +$d, expected +1")
d=$(delta 'rbac_policy_loads_total{status="success"}')
[[ "$d" == 1 ]] || problems+=("policy loads success: +$d, expected +1")
d=$(delta 'rbac_policy_loads_total{status="failure"}')
[[ "$d" == 0 ]] || problems+=("policy loads failure: +$d, expected +0")
if ((${#problems[@]})); then
    printf '  %s\n' "${problems[@]}" >&2
    fail "${#problems[@]} counters moved by the wrong amount"
fi
umount_pinfs
