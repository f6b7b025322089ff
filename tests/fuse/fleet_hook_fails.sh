#!/bin/bash
# Issue 14 acceptance: a follower whose hook exits 1 shows a failed
# delivery (hook_failed) while the other succeeds; its current release
# is left alone, the deployment itself stays a success.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
. "$(dirname "$0")/fleetlib.sh"
HOOK_C=$T/fail.sh
printf '#!/bin/sh\necho "refusing on purpose"\nexit 1\n' >"$HOOK_C"
chmod +x "$HOOK_C"
start_host_a
start_follower_b
start_follower_c

make_tgz "$T/app.tgz"
cp "$T/app.tgz" "$MNT/deploy/web" || fail "cp on host a"
id=$(ls "$MNT/deployments")
wait_until 30 deliveries_are "$id" success 1 || fail "host b's delivery"
wait_until 30 deliveries_are "$id" failed 1 || fail "host c's failed delivery"
assert_eq "$(delivery host-b "$id" status)" "$(status_code success)" "host-b"
assert_eq "$(delivery host-c "$id" status)" "$(status_code failed)" "host-c"
assert_eq "$(delivery host-c "$id" error_code)" hook_failed "host-c's error code"
assert_eq "$(readlink "$ROOT_B/current")" "releases/$id" "host b's release"
[ ! -e "$ROOT_C/current" ] || fail "host c's failed hook made a release"
assert_eq "$(rec "$id" .status)" success "the deployment's own status"
# The same, as files on the build host's mount and on host b's.
for m in "$MNT" "$MNT_B"; do
	D=$m/deployments/$id/deliveries
	assert_eq "$(jq -r .status "$D/host-c.json")" failed "$m: host-c.json's status"
	assert_eq "$(jq -r .error.code "$D/host-c.json")" hook_failed "$m: host-c.json's error"
	assert_match "$(jq -r .error.message "$D/host-c.json")" "status 1" "$m: host-c.json's message"
	assert_eq "$(cat "$D/host-c.log")" "refusing on purpose" "$m: host-c.log"
	assert_eq "$(jq -r .status "$D/host-b.json")" success "$m: host-b.json's status"
	assert_eq "$(jq -c .deliveries "$m/deployments/$id/record.json")" \
		'{"success":1,"failed":1,"pending":0}' "$m: record.json's deliveries"
	assert_eq "$(ls "$m/projects/web/nodes")" host-b "$m: nodes/ (no success of host-c)"
done
grep -q '"delivery_failed"' "$MNT/audit.log" || fail "no delivery_failed audit event"
run "$DEPLOYCTL" --catalog "$CATALOG" wait "$id" --timeout 30
assert_eq "$RC" 1 "deployctl wait with a failed delivery"
assert_match "$(cat "$T/run.out")" "host-c	web@1	failed	hook_failed" "wait names the failure"
assert_match "$ERRTXT" "1 of 2 delivery\(ies\) failed" "wait's message"
finish
