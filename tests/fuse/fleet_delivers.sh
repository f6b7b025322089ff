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

# deployctl wait: both settled already; one line each.
ctl() { "$DEPLOYCTL" --catalog "$CATALOG" "$@"; }
run ctl wait "$id" --timeout 30
assert_eq "$RC" 0 "deployctl wait after two successes ($ERRTXT)"
assert_eq "$(cut -f1,2,3 "$T/run.out" | sort)" "$(printf 'host-b\tweb@1\tsuccess\nhost-c\tweb@1\tsuccess')" \
	"deployctl wait's lines"
run ctl --json wait web@1
assert_eq "$(jq -r '[.[].status] | join(",")' "$T/run.out")" success,success "wait --json"

# deployctl status: one line per node, neither lagging.
run ctl status web
assert_eq "$RC" 0 "deployctl status ($ERRTXT)"
assert_match "$(sed -n 2p "$T/run.out")" '^host-b +web@1 +success +.* ago +no$' "status line of host-b"
assert_match "$(sed -n 3p "$T/run.out")" '^host-c +web@1 +success +.* ago +no$' "status line of host-c"
run ctl --json status web
assert_eq "$(jq -r '[.[] | .node + ":" + (.lags_current|tostring)] | join(",")' "$T/run.out")" \
	"host-b:false,host-c:false" "status --json"

# push --wait-delivered returns once both followers released the new one.
make_tgz "$T/app2.tgz"
run ctl push --wait-delivered web "$T/app2.tgz" --mount "$MNT"
assert_eq "$RC" 0 "push --wait-delivered ($ERRTXT)"
id2=$(ls "$MNT/deployments" | tail -n 1)
assert_eq "$(deliveries_of "$id2" success)" 2 "delivered when push returned"
for r in "$ROOT_B" "$ROOT_C"; do
	assert_eq "$(readlink "$r/current")" "releases/$id2" "$r/current after push"
done

# While a follower is down, status says it lags, and wait times out.
stop_follower_c
make_tgz "$T/app3.tgz"
cp "$T/app3.tgz" "$MNT/deploy/web" || fail "cp v3"
run ctl wait web@3 --timeout 2
assert_eq "$RC" 1 "wait with a follower down"
assert_match "$ERRTXT" "timed out after 2 s: 1 of 2" "wait's timeout message"
run ctl status web
assert_match "$(grep '^host-c' "$T/run.out")" '^host-c +web@2 +success +.* yes$' "host-c lags"
run ctl wait web@3 --nodes 1 --timeout 30
assert_eq "$RC" 0 "wait --nodes 1 with a follower down ($ERRTXT)"

# Without the shared catalog: a usage error.
run "$DEPLOYCTL" --store "$STORE" status web
assert_eq "$RC" 2 "status without --catalog"
assert_match "$ERRTXT" "shared catalog" "status without --catalog: message"
finish
