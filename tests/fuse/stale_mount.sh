#!/bin/bash
# A daemon killed with -9 leaves its mount stale ("Transport endpoint is
# not connected"); starting deployfs again on the same mount point detaches
# it and mounts, saying so. A stale mount of another file system is left
# alone, with the command that fixes it, and the daemon exits 1.
. "$(dirname "$0")/lib.sh" "$@"

start_daemon
make_tgz "$T/a.tgz"
deploy_ok "$T/a.tgz" web
first=$ID

kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=
run stat "$MNT"
[ "$RC" -ne 0 ] || fail "stat of the dead mount succeeded"
assert_match "$ERRTXT" "Transport endpoint is not connected" "stat of the dead mount"
is_mounted "$MNT" || fail "the dead mount is gone already: nothing to test"

start_daemon
grep -q "detached a stale mount" "$DAEMON_ERR" ||
	fail "the daemon did not say it detached the stale mount"
n=$(awk -v m="$MNT" '$2 == m' /proc/self/mounts | wc -l)
assert_eq "$n" 1 "mounts at $MNT after the restart"
check_success "$first" web "$T/a.tgz"
make_tgz "$T/b.tgz"
deploy_ok "$T/b.tgz" web
check_current web "$ID" "$T/b.tgz"
log "restarted over the stale mount"

# Another file system's stale mount is not deployfs's to detach.
stop_daemon
start_daemon -o subtype=other
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=
grep -q " $MNT fuse.other " /proc/self/mounts ||
	fail "no stale fuse.other mount at $MNT to test with"
# If it wrongly mounted, -f would keep it running: timeout ends it.
run timeout 20 "$DEPLOYFS" -f "$STORE" "$MNT"
assert_eq "$RC" 1 "exit status over a foreign stale mount"
assert_match "$ERRTXT" "Transport endpoint is not connected.*run 'fusermount3 -uz $MNT'" \
	"message over a foreign stale mount"
grep -q " $MNT fuse.other " /proc/self/mounts ||
	fail "the foreign stale mount was detached"
fusermount3 -uz "$MNT"
start_daemon
check_current web "$ID" "$T/b.tgz"
finish
