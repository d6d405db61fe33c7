# Issue 13 items 4 and 5, by ": > /.system/credentials" (PostgreSQL: the
# kernel caches key entries and attributes): the uid whose token gave it
# the tenant learns and changes nothing more through what it still holds
# there within 1 s; a uid that keeps its access loses nothing (rv_case).
trap 'rv_stop' EXIT
rv_case unbind pg
