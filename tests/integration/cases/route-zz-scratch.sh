rt_config saas "acme=$(rt_pg_uri)"
mount_pinfs
beta_db=$(rt_extra_db beta migrated)
rt_config saas "acme=$(rt_pg_uri)" "beta=$(rt_pg_uri "$beta_db")"
sleep 1
echo "migrated-from-start: $(probe stat "$MNT/beta")"
gamma_db=$(rt_extra_db gamma)
rt_config saas "acme=$(rt_pg_uri)" "beta=$(rt_pg_uri "$beta_db")" "gamma=$(rt_pg_uri "$gamma_db")"
sleep 1
echo "gamma unmigrated: $(probe stat "$MNT/gamma")"
"$PINCTL" --config "$CONFIG" migrate up
kill -HUP $PINFS_PID
sleep 2
echo "gamma after migrate+HUP: $(probe stat "$MNT/gamma")"
sleep 3
echo "gamma after 3 more s: $(probe stat "$MNT/gamma")"
echo "beta: $(probe stat "$MNT/beta")"
pg_sql "select datname, usename, state, query from pg_stat_activity where datname like 'case%'" -d postgres
kill -HUP $PINFS_PID
sleep 2
echo "gamma after 2nd HUP: $(probe stat "$MNT/gamma")"
umount_pinfs
rt_drop_extra_dbs
false
