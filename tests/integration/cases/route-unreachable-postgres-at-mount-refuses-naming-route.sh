# At mount every PostgreSQL route must answer its schema check: a route to a
# server that is not there (a socket dir with no server) or to a database
# that does not exist makes pinfs exit non-zero within a bound, naming the
# route, with nothing mounted; in lab mode too (lab only tolerates having
# no route at all).
for mode in saas lab; do
    for uri in "postgresql:///$CASE_DB?host=$CASE_DIR/no-server" "$(rt_pg_uri "${CASE_DB}_missing")"; do
        mkdir -p "$CASE_DIR/no-server"
        rt_config "$mode" "acme=$(rt_pg_uri)" "beta=$uri"
        step "mode $mode, beta=$uri"
        t0=$(rt_now_ms)
        start_pinfs
        wait_pinfs_exit 20 || fail "pinfs is still running 20 s after mounting with an unreachable route ($mode, $uri)"
        ((PINFS_RC != 0)) || fail "pinfs exited 0 with an unreachable route ($mode, $uri)"
        if is_mounted "$MNT"; then
            fail "$MNT is mounted although pinfs refused to start"
        fi
        grep -F "${uri%%\?*}" "$PINFS_LOG" >/dev/null || {
            cat -- "$PINFS_LOG" >&2
            fail "pinfs's message does not name the route ${uri%%\?*}"
        }
        step "refused after $(($(rt_now_ms) - t0)) ms"
    done
done
