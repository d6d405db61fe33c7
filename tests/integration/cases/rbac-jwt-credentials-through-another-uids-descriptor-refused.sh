# A token binds to the uid that writes it, never to the one that opened
# the descriptor: a write to /.system/credentials (and to reload and
# expire) through a descriptor another uid opened, passed with SCM_RIGHTS
# or kept across a setuid, is EACCES; a close by such a uid does not act
# on what the opener wrote (EACCES), and the opener's own close still
# does; such a uid cannot empty it either (ftruncate is EACCES). Nobody
# gets bound by someone else's token.
rb_policy '[{"uid": 0, "roles": ["infra"], "tenants": ["*"]},
            {"uid": 20002, "roles": ["admin"], "tenants": ["*"]}]'
rb_hs_secret
rb_config "" "$(rb_tokens_json HS256 "$RB_SECRET")"
mount_pinfs
mkdir "$MNT/acme"
echo '{"a":1}' >"$MNT/acme/k"
a=20001 b=20002
bound() { as_user "$1" cat "$MNT/.system/credentials" | jq -r '"\(.bound) \(.subject)"'; }
admin_tok=$(rb_mint svc-admin admin '*' 600)
own_tok=$(rb_mint alice readonly acme 600)

# passfd OPENER WRITER FILE [OPENER_DATA]: OPENER opens FILE write-only,
# writes OPENER_DATA (if given), and passes the descriptor over a Unix
# socket to WRITER, which writes $PASS_TOKEN through it and closes it; then
# the opener closes its own. Prints "write=X truncate=Y close=Z
# opener_close=W" (truncate: the writer's ftruncate to 0 after its write).
passfd()
{
    PASS_TOKEN=$admin_tok /usr/bin/python3 - "$@" <<'PY'
import errno, os, socket, sys
opener, writer, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
def res(f):
    try:
        f()
        return "OK"
    except OSError as e:
        return errno.errorcode[e.errno]
def become(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
pid = os.fork()
if pid == 0:
    a.close()
    become(opener)
    fd = os.open(path, os.O_WRONLY)
    if data is not None:
        os.write(fd, data)
    socket.send_fds(b, [b"f"], [fd])
    b.recv(1)                       # the writer is done
    r = res(lambda: os.close(fd))
    b.sendall(r.encode())
    os._exit(0)
b.close()
become(writer)
_, fds, _, _ = socket.recv_fds(a, 1, 1)
w = res(lambda: os.write(fds[0], os.environ["PASS_TOKEN"].encode()))
t = res(lambda: os.ftruncate(fds[0], 0))
c = res(lambda: os.close(fds[0]))
a.sendall(b"d")
oc = a.recv(16).decode()
os.waitpid(pid, 0)
print(f"write={w} truncate={t} close={c} opener_close={oc}")
PY
}

step "uid A opens its credentials and passes the descriptor to uid B, which writes an admin token"
assert_eq "$(passfd $a $b "$MNT/.system/credentials")" "write=EACCES truncate=EACCES close=OK opener_close=OK" "through A's descriptor"
assert_eq "$(bound $a)" "false null" "A is not bound"
assert_eq "$(bound $b)" "false null" "B is not bound"
assert_eq "$(as_user $a probe stat "$MNT/acme/k")" EACCES "A has no access"
assert_eq "$(as_user $a cat "$MNT/.system/whoami" | jq -r .subject)" "uid:20001" "A's whoami"

step "a process that opened as root and then became uid A"
out=$(PASS_TOKEN=$admin_tok /usr/bin/python3 - "$MNT/.system/credentials" $a <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.setgroups([])
os.setgid(int(sys.argv[2]))
os.setuid(int(sys.argv[2]))
try:
    os.write(fd, os.environ["PASS_TOKEN"].encode())
    w = "OK"
except OSError as e:
    w = errno.errorcode[e.errno]
os.close(fd)
print(f"write={w}")
PY
)
assert_eq "$out" "write=EACCES" "write after setuid"
assert_eq "$(bound 0)" "false null" "root is not bound"
assert_eq "$(bound $a)" "false null" "A is not bound"

step "the opener's own token: another uid's close does not act on it, the opener's does"
assert_eq "$(passfd $a $b "$MNT/.system/credentials" "$own_tok")" "write=EACCES truncate=EACCES close=EACCES opener_close=OK" \
    "A writes its own token, B closes first"
assert_eq "$(bound $a)" "true alice" "A is bound to its own token by its own close"
assert_eq "$(bound $b)" "false null" "B is not"

step "reload and expire act for their opener only"
assert_eq "$(passfd $b $a "$MNT/.system/reload")" "write=EACCES truncate=EACCES close=OK opener_close=OK" "reload through B's descriptor"
assert_eq "$(passfd $b $a "$MNT/.system/expire")" "write=EACCES truncate=EACCES close=OK opener_close=OK" "expire through B's descriptor"

step "writing one's own descriptor still works"
assert_eq "$(rb_cred $b "$admin_tok")" "write=OK close=OK" "B binds the admin token itself"
assert_eq "$(bound $b)" "true svc-admin" "B bound"
umount_pinfs
