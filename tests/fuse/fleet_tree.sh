#!/bin/bash
# What followers delivered, as files on every host's mount:
# deployments/<id>/deliveries/<node>.json and <node>.log (the hook's
# output, growing live), record.json's deliveries counts, and
# projects/<p>/nodes/<node> linking to the node's last success and
# projects/<p>/nodes.json, the fleet view; the same
# bytes and inode numbers on the build host's mount and a follower's.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
. "$(dirname "$0")/fleetlib.sh"
# Host c's hook says one line, waits for the test's go, says another.
GO=$T/go
HOOK_C=$T/slow.sh
printf '#!/bin/sh\necho "step one of $DEPLOYFS_NODE"\nwhile [ ! -e %s ]; do sleep 0.1; done\necho "step two"\n' \
	"$GO" >"$HOOK_C"
chmod +x "$HOOK_C"
start_host_a
start_follower_b
start_follower_c

make_tgz "$T/app.tgz"
cp "$T/app.tgz" "$MNT/deploy/web" || fail "cp on host a"
id=$(ls "$MNT/deployments")
D=deployments/$id/deliveries

# While host c's hook runs: pending, its log so far, from any mount.
wait_until 30 deliveries_are "$id" success 1 || fail "host b's delivery"
wait_until 30 grep -q "step one of host-c" "$MNT/$D/host-c.log" ||
	fail "host c's log while its hook runs: $(cat "$MNT/$D/host-c.log")"
assert_eq "$(jq -r .status "$MNT/$D/host-c.json")" pending "host-c while its hook runs"
assert_eq "$(jq -r .completed_at "$MNT_B/$D/host-c.json")" null "completed_at while pending"
assert_eq "$(jq -c .deliveries "$MNT/deployments/$id/record.json")" \
	'{"success":1,"failed":0,"pending":1}' "record.json's deliveries while one runs"
assert_eq "$(ls "$MNT/projects/web/nodes")" host-b "nodes/ before host c delivered"
touch "$GO"
wait_until 30 deliveries_are "$id" success 2 || fail "host c's delivery"

for m in "$MNT" "$MNT_B" "$MNT_C"; do
	# (log and manifest are the build host's: not on other hosts.)
	assert_eq "$(ls "$m/deployments/$id" | grep -cx deliveries)" 1 "$m: deliveries listed"
	assert_eq "$(ls "$m/$D" | tr '\n' ' ')" "host-b.json host-b.log host-c.json host-c.log " \
		"$m: deliveries/"
	for n in host-b host-c; do
		f=$m/$D/$n.json
		assert_eq "$(jq -r .status "$f")" success "$m: $n's status"
		assert_eq "$(jq -r .node "$f")" "$n" "$m: $n's node"
		assert_eq "$(jq -r .payload_hash "$f")" "$(sha "$T/app.tgz")" "$m: $n's payload_hash"
		assert_eq "$(jq -c .error "$f")" null "$m: $n's error"
		assert_match "$(jq -r .completed_at "$f")" '^20..-..-..T..:..:..\....Z$' "$m: $n's completed_at"
		assert_eq "$(stat -c %s "$f")" "$(wc -c <"$f")" "$m: $n.json's size"
		assert_eq "$(stat -c %s "$m/$D/$n.log")" "$(wc -c <"$m/$D/$n.log")" "$m: $n.log's size"
	done
	grep -q "unpacking web $id into" "$m/$D/host-b.log" || fail "$m: host-b.log: $(cat "$m/$D/host-b.log")"
	grep -q "current -> releases/$id" "$m/$D/host-b.log" || fail "$m: host-b.log's end"
	assert_eq "$(cat "$m/$D/host-c.log")" "$(printf 'step one of host-c\nstep two')" "$m: host-c.log"
	r=$m/deployments/$id/record.json
	assert_eq "$(jq -c .deliveries "$r")" '{"success":2,"failed":0,"pending":0}' "$m: record.json's deliveries"
	assert_eq "$(stat -c %s "$r")" "$(wc -c <"$r")" "$m: record.json's size"
	assert_match "$(ls "$m/projects/web" | tr '\n' ' ')" "^$id current latest nodes nodes.json $" "$m: projects/web/"
	# nodes.json: the fleet view, a line a node, an exact size.
	f=$m/projects/web/nodes.json
	assert_eq "$(jq -r '.node + " " + (.following|tostring) + " " + (.lags_current|tostring) + " " + .delivered.deployment_id + " " + .latest.status' "$f")" \
		"$(printf 'host-b true false %s success\nhost-c true false %s success' "$id" "$id")" "$m: nodes.json"
	assert_eq "$(stat -c %s "$f")" "$(wc -c <"$f")" "$m: nodes.json's size"
	assert_eq "$(stat -c %a "$f")" 444 "$m: nodes.json's mode"
	assert_eq "$(ls "$m/projects/web/nodes" | tr '\n' ' ')" "host-b host-c " "$m: projects/web/nodes/"
	assert_eq "$(readlink "$m/projects/web/nodes/host-c")" "../../../deployments/$id" "$m: nodes/host-c"
	assert_eq "$(jq -r .deployment_id "$m/projects/web/nodes/host-b/record.json")" "$id" \
		"$m: through nodes/host-b"
	[ ! -e "$m/projects/web/nodes/host-a" ] || fail "$m: host-a delivered nothing"
	[ "$(grep -c host-a "$m/projects/web/nodes.json")" = 0 ] || fail "$m: host-a in nodes.json"
	[ ! -e "$m/$D/host-a.json" ] || fail "$m: no delivery of host-a"
	[ ! -e "$m/$D/host-b.txt" ] || fail "$m: host-b.txt"
done
# Inode numbers are the catalog's, the same on every host.
assert_eq "$(stat -c %i "$MNT/$D/host-c.log")" "$(stat -c %i "$MNT_B/$D/host-c.log")" "host-c.log's inode"
assert_eq "$(stat -c %i "$MNT/projects/web/nodes/host-b")" \
	"$(stat -c %i "$MNT_C/projects/web/nodes/host-b")" "nodes/host-b's inode"
# History: never removed, never written.
expect_fail "Operation not permitted" "rm of a delivery" rm "$MNT/$D/host-b.json"
expect_fail "Read-only file system" "a write to a delivery's log" \
	sh -c "echo x >>'$MNT_B/$D/host-b.log'"
expect_fail "Read-only file system" "rm of nodes/<node>" rm "$MNT/projects/web/nodes/host-b"
expect_fail "Operation not permitted|Read-only file system" "rm of nodes.json" rm "$MNT/projects/web/nodes.json"

# A second deploy moves nodes/<node>; the first keeps its deliveries.
rm "$GO"
make_tgz "$T/app2.tgz"
cp "$T/app2.tgz" "$MNT/deploy/web" || fail "cp v2"
id2=$(ls "$MNT/deployments" | tail -n 1)
wait_until 30 deliveries_are "$id2" success 1 || fail "host b's second delivery"
assert_eq "$(readlink "$MNT_C/projects/web/nodes/host-b")" "../../../deployments/$id2" "nodes/host-b moved"
assert_eq "$(readlink "$MNT_C/projects/web/nodes/host-c")" "../../../deployments/$id" "nodes/host-c until it delivers"
host_c_view() {
	jq -r 'select(.node == "host-c") | (.lags_current|tostring) + " " +
		.latest.status + " " + .latest.deployment_id' "$MNT_B/projects/web/nodes.json"
}
wait_until 30 eval '[ "$(host_c_view)" = "true pending $id2" ]' ||
	fail "nodes.json while host c delivers v2: $(host_c_view)"
touch "$GO"
wait_until 30 deliveries_are "$id2" success 2 || fail "host c's second delivery"
assert_eq "$(readlink "$MNT/projects/web/nodes/host-c")" "../../../deployments/$id2" "nodes/host-c moved"
assert_eq "$(jq -r .status "$MNT/$D/host-c.json")" success "the first delivery kept"
finish
