#!/bin/bash
# SIGTERM (what a service manager sends to stop) and SIGINT (^C) stop
# `deployfs -f` cleanly: it unmounts and exits with status 0, also with
# files open, and the next start serves the same history.
set -eu
. "$(dirname "$0")/lib.sh" "$@"

# stop_by SIGNAL — send SIGNAL to the daemon; it must exit 0 and unmount.
stop_by() {
	local st=0 i
	kill -"$1" "$DPID"
	for ((i = 0; i < 100; i++)); do
		child_running "$DPID" || break
		sleep 0.1
	done
	! child_running "$DPID" || fail "SIG$1: the daemon still runs after 10 s"
	wait "$DPID" || st=$?
	DPID=
	assert_eq "$st" 0 "exit status after SIG$1"
	! is_mounted "$MNT" || fail "SIG$1: $MNT is still mounted"
	daemon_clean 0 0 || fail "SIG$1: the daemon did not stop cleanly"
}

start_daemon
make_tgz "$T/v1.tgz"
deploy_ok "$T/v1.tgz" web
first=$ID
stop_by TERM
log "SIGTERM: exit 0, unmounted: ok"

start_daemon
assert_cmp "$MNT/deploy/web" "$T/v1.tgz" "deploy/web after a restart"
# A reader holds a payload open while ^C arrives.
exec 3<"$MNT/deployments/$first/payload"
stop_by INT
exec 3<&-
log "SIGINT with a file open: exit 0, unmounted: ok"

start_daemon
assert_eq "$(rec "$first" .status)" success "the deployment after two stops"
finish
