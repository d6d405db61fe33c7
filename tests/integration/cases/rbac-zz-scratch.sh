rb_policy '[{"uid":0,"roles":["infra"],"tenants":["*"]},{"uid":20001,"roles":["dev"],"tenants":["acme"]},{"uid":20002,"roles":["machine"],"tenants":["acme"]}]'
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
cat $CONFIG
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' > "$MNT/acme/k1"
echo '{"a":1}' > "$MNT/acme/k2"
probe truncate "$MNT/acme/k1" 0
cat "$MNT/acme/k1"
probe getxattr "$MNT/acme/k2" user.pin.source
probe listxattr "$MNT/acme/k2"
as_user 20002 probe setxattr "$MNT/acme/k2" user.pin.ttl 3600
as_user 20002 probe removexattr "$MNT/acme/k2" user.pin.ttl
as_user 20002 probe truncate "$MNT/acme/k2" 0
as_user 20001 probe truncate "$MNT/acme/k2" 0
as_user 20002 probe rename "$MNT/acme/k2" "$MNT/acme/k3"
as_user 20001 probe access "$MNT/acme/k2" w
as_user 20001 probe access "$MNT/acme/k2" r
as_user 20001 probe open-w "$MNT/acme/k2"
as_user 20001 probe write-trunc "$MNT/acme/k2" '{}'
as_user 20001 probe stat "$MNT/.system/reload"
as_user 20001 probe open-r "$MNT/.system/metrics"
as_user 20009 probe open-r "$MNT/.system/whoami"
as_user 20009 probe readdir "$MNT"
as_user 20009 ls -a "$MNT"
now=$(date +%s)
t=$(rb_jwt HS256 "$RB_SECRET" '{}' "$(rb_claims bob dev acme)"); echo "$t"; rb_cred 20009 "$t"
as_user 20009 cat "$MNT/.system/credentials"
rb_cred 20009 ""
as_user 20009 cat "$MNT/.system/credentials"
rb_cred 20009 "$t"
as_user 20009 sh -c ": > $MNT/.system/credentials"
as_user 20009 cat "$MNT/.system/credentials"
as_user 20009 sh -c "echo > $MNT/.system/credentials"
as_user 20009 cat "$MNT/.system/credentials"
t=$(rb_jwt none "" '{}' "$(rb_claims bob dev acme)"); echo "$t"; rb_cred 20009 "$t"
head -c 9000 /dev/zero | tr '\0' a > big; rb_cred 20009 - < big
head -c 4194304 /dev/zero | tr '\0' a > big; rb_cred 20009 - < big
sleep 0.5
cat "$MNT/.system/audit"
umount_pinfs
cat "$PINFS_LOG"
