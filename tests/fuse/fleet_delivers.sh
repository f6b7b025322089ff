#!/bin/bash
# Issue 14 acceptance: a cp on the build host ends with both followers'
# current symlinks pointing at the unpacked release (their hook,
# scripts/hooks/release.sh, each with its own release root) and two
# success deliveries.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
. "$(dirname "$0")/fleetlib.sh"
start_host_a
start_follower_b
start_follower_c

make_tgz "$T/app.tgz"
cp "$T/app.tgz" "$MNT/deploy/web" || fail "cp on host a"
id=$(ls "$MNT/deployments")
wait_until 30 deliveries_are "$id" success 2 ||
	fail "two success deliveries of $id: got $(deliveries_of "$id" success)"
for r in "$ROOT_B" "$ROOT_C"; do
	assert_eq "$(readlink "$r/current")" "releases/$id" "$r/current"
	[ -f "$r/releases/$id/data.bin" ] || fail "$r: release not unpacked"
done
assert_eq "$(delivery host-b "$id" "encode(payload_hash, 'hex')")" \
	"$(sha "$T/app.tgz")" "payload_hash of host-b's delivery"
# The build host does not follow: no delivery of its own.
assert_eq "$(delivery host-a "$id" status)" "" "host-a delivered nothing"
finish
