#!/bin/bash
# Issue 14 acceptance: a follower stopped during two deploys delivers only
# the newest on restart; the one in between is recorded superseded and
# never run.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
. "$(dirname "$0")/fleetlib.sh"
start_host_a
start_follower_c

make_tgz "$T/v1.tgz"
cp "$T/v1.tgz" "$MNT/deploy/web" || fail "cp v1"
id1=$(ls "$MNT/deployments")
wait_until 30 deliveries_are "$id1" success 1 || fail "v1 delivered"

stop_follower_c
make_tgz "$T/v2.tgz"
cp "$T/v2.tgz" "$MNT/deploy/web" || fail "cp v2"
make_tgz "$T/v3.tgz"
cp "$T/v3.tgz" "$MNT/deploy/web" || fail "cp v3"
id2=$(ls "$MNT/deployments" | sed -n 2p)
id3=$(ls "$MNT/deployments" | sed -n 3p)
assert_eq "$(delivery host-c "$id3" status)" "" "v3 delivered while stopped"

start_follower_c
wait_until 30 deliveries_are "$id3" success 1 || fail "v3 delivered on restart"
assert_eq "$(readlink "$ROOT_C/current")" "releases/$id3" "current after restart"
[ ! -e "$ROOT_C/releases/$id2" ] || fail "v2 was released"
assert_eq "$(delivery host-c "$id2" status)" "$(status_code superseded)" "v2 superseded"
assert_eq "$(jq -r .status "$MNT/deployments/$id2/deliveries/host-c.json")" superseded \
	"v2's host-c.json"
assert_eq "$(stat -c %s "$MNT/deployments/$id2/deliveries/host-c.log")" 0 "v2 never ran: an empty log"
assert_eq "$(readlink "$MNT_C/projects/web/nodes/host-c")" "../../../deployments/$id3" \
	"nodes/host-c after catching up"
finish
