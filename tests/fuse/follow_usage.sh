#!/bin/bash
# follow= needs a shared catalog: without catalog= (or with a list that is
# not project names or a lone '*') the daemon refuses to start, with a
# clear message and exit status 2, and mounts nothing.
set -eu
. "$(dirname "$0")/lib.sh" "$@"

run "$DEPLOYFS" -f -o follow=web "$STORE" "$MNT"
assert_eq "$RC" 2 "exit status with follow= and no catalog="
assert_match "$ERRTXT" "follow= goes with catalog=" "message for follow= alone"
! is_mounted "$MNT" || fail "mounted despite follow= without catalog="

for bad in 'web:*' '' ':' 'web::api' '.web' 'a/b'; do
	run "$DEPLOYFS" -f -o "catalog=dbname=none,follow=$bad" "$STORE" "$MNT"
	assert_eq "$RC" 2 "exit status with follow='$bad'"
	assert_match "$ERRTXT" "bad follow" "message for follow='$bad'"
	! is_mounted "$MNT" || fail "mounted despite follow='$bad'"
done
finish
