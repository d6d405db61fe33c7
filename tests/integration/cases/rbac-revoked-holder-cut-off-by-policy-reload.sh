# Issue 13 items 4 and 5, by a policy reload (PostgreSQL: the feed is up,
# so the kernel caches key entries and attributes): a uid that held a
# directory descriptor, its cwd and open descriptors in a tenant, then lost
# the tenant, learns and changes nothing more through them within 1 s,
# while root keeps the kernel's caches of the tenant warm; a uid that keeps
# its access loses nothing (rv_case in lib/common.sh).
trap 'rv_stop' EXIT
rv_case reload pg
