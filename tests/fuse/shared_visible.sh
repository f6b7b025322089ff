#!/bin/bash
# DESIGN "Many hosts": a deploy copied into host a's mount is at once in
# host b's (one PostgreSQL catalog, two stores): listed, current, its
# record, and its payload byte for byte, streamed into b's cache.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
start_host_a
start_host_b

make_tgz "$T/app.tgz" 256
cp "$T/app.tgz" "$MNT/deploy/web" || fail "cp on host a"
id=$(ls "$MNT/deployments")
# No wait: cp returned after the commit, and b reads the catalog.
assert_eq "$(ls "$MNT_B/deployments")" "$id" "deployments on host b"
assert_eq "$(ls "$MNT_B/status/success")" "$id" "status/success on host b"
assert_eq "$(readlink "$MNT_B/projects/web/current")" "../../deployments/$id" \
	"projects/web/current on host b"
assert_eq "$(rec_b "$id" .origin_node)" host-a "origin_node"
assert_eq "$(rec_b "$id" .payload_hash)" "$(sha "$T/app.tgz")" "payload_hash"
assert_cmp "$MNT_B/deployments/$id/payload" "$T/app.tgz" "payload on host b"
assert_cmp "$MNT_B/deploy/web" "$T/app.tgz" "deploy/web on host b"
[ -f "$STORE_B/blobs/$(sha "$T/app.tgz" | cut -c1-2)/$(sha "$T/app.tgz")" ] ||
	fail "host b's cache lacks the payload it served"

# And the other way round.
make_tgz "$T/app2.tgz"
cp "$T/app2.tgz" "$MNT_B/deploy/web" || fail "cp on host b"
id2=$(ls "$MNT/projects/web" | grep -x -E '[0-9a-f]{8}-[-0-9a-f]{27}' | tail -n 1)
[ "$id2" \> "$id" ] || fail "the second deploy's id $id2 is not after $id"
assert_eq "$(rec "$id2" .origin_node)" host-b "origin_node on host a"
assert_eq "$(rec "$id2" .version)" 2 "version across hosts"
assert_cmp "$MNT/deploy/web" "$T/app2.tgz" "deploy/web on host a"
finish
