# Issue 13 items 4 and 5, by a bound token's expiry (PostgreSQL: the kernel
# caches key entries and attributes): at the expiry (exp plus the 30 s
# leeway) the uid learns and changes nothing more through what it still
# holds in the tenant within 1 s, though nobody wrote anything to pinfs;
# a uid that keeps its access loses nothing (rv_case).
trap 'rv_stop' EXIT
rv_case expiry pg
