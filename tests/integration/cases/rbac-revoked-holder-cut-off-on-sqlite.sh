# Issue 13 items 4 and 5 with the tenant on SQLite (no feed: nothing about
# keys is cached by the kernel, but every open handle must be cut off all
# the same): by a policy reload, a credential unbind and a token expiry
# (rv_case in lib/common.sh).
trap 'rv_stop' EXIT
rv_case reload sqlite
rv_case unbind sqlite
rv_case expiry sqlite
