# user.pin.* round trip (setfattr, getfattr -d, attr -l/-s/-g/-r, listxattr,
# the read-only, unknown and foreign names) on a tenant routed to SQLite,
# checked against the row (rt_ttl_round_trip in lib/common.sh).
rt_pg_sqlite_config
mount_pinfs
rt_ttl_round_trip "$RT_SQLITE" lab
umount_pinfs
