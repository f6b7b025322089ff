#!/bin/bash
# DESIGN "Many hosts": when the database stops, a deploy fails (cp exits
# non-zero, EIO) and the daemon says so in its log; when it is back, the
# daemon reconnects by itself and deploys work again. No local queue:
# what failed stays failed. This test runs its own cluster, as it stops it.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
CLUSTER=$(dirname "$0")/../pg/cluster.sh
"$CLUSTER" start "$T/pg" >/dev/null || exit 77
at_exit "'$CLUSTER' stop '$T/pg'"
DEPLOYFS_PG_CONNINFO_FILE=$T/pg/conninfo
. "$(dirname "$0")/pglib.sh"
start_host_a

make_tgz "$T/a.tgz"
cp "$T/a.tgz" "$MNT/deploy/web" || fail "cp before the outage"
"$CLUSTER" halt "$T/pg"
make_tgz "$T/b.tgz"
run cp "$T/b.tgz" "$MNT/deploy/web"
[ "$RC" -ne 0 ] || fail "cp succeeded with the database stopped"
wait_until 20 grep -q "catalog unreachable" "$DAEMON_ERR" ||
	fail "no log line about the unreachable catalog"

"$CLUSTER" resume "$T/pg"
wait_until 20 grep -q "catalog reachable again" "$DAEMON_ERR" ||
	fail "the daemon did not reconnect"
make_tgz "$T/c.tgz"
cp "$T/c.tgz" "$MNT/deploy/web" || fail "cp after the outage"
assert_cmp "$MNT/deploy/web" "$T/c.tgz" "current after the outage"
assert_eq "$(ls "$MNT/status/success" | wc -l)" 2 "successes"
finish
