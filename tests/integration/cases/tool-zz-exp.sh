mount_pinfs
mkdir "$MNT/acme"
echo '"ab"' >"$MNT/acme/k"
strace -tt -f -o tail.strace tail -s 0.2 -n +1 -f "$MNT/acme/k" >tail.out 2>tail.err &
tool_bg $!
sleep 1
stat -c '%s %Y' "$MNT/acme/k"
echo '"abcdef"' >"$MNT/acme/k"
stat -c '%s %Y' "$MNT/acme/k"
sleep 1.5
cat tail.out
grep -v -E 'mmap|mprotect|/lib|/usr|brk|arch_prctl|getrandom|rseq|set_tid|prlimit|futex|rt_sig' tail.strace | tail -30
exit 1
