#!/bin/bash
# deployctl status and wait through a mount (--mount, $DEPLOYFS_MOUNT)
# answer as they do from the catalog: the same lines, JSON and exit
# status, read from projects/<p>/nodes.json and deliveries/<node>.json;
# wait polls until the followers settle. A directory that is not a
# deployfs mount, and names that are no deployment or project, are errors.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
. "$(dirname "$0")/fleetlib.sh"
# Host c refuses while $REFUSE exists.
REFUSE=$T/refuse
HOOK_C=$T/maybe.sh
printf '#!/bin/sh\nif [ -e %s ]; then echo refusing; exit 1; fi\necho fine\n' \
	"$REFUSE" >"$HOOK_C"
chmod +x "$HOOK_C"
start_host_a
start_follower_b
start_follower_c

cat_ctl() { "$DEPLOYCTL" --catalog "$CATALOG" "$@"; }
# Neither a store nor a catalog: only the mount can answer.
mnt_ctl() { env -u DEPLOYFS_STORE -u DEPLOYFS_CATALOG "$DEPLOYCTL" "$@"; }

# same_answer WHAT ARGS... — status/wait through each mount (--mount on
# host a's and host b's, $DEPLOYFS_MOUNT) prints what the catalog does,
# with the same exit status and message.
same_answer() {
	local what=$1 want want_rc want_err m
	shift
	run cat_ctl "$@"
	want=$(cat "$T/run.out") want_rc=$RC want_err=$ERRTXT
	for m in "$MNT" "$MNT_B"; do
		run mnt_ctl --mount "$m" "$@"
		assert_eq "$RC" "$want_rc" "$what through $m: exit status ($ERRTXT)"
		assert_eq "$(cat "$T/run.out")" "$want" "$what through $m: output"
		assert_eq "$ERRTXT" "$want_err" "$what through $m: message"
	done
	run env -u DEPLOYFS_STORE -u DEPLOYFS_CATALOG DEPLOYFS_MOUNT="$MNT_B" "$DEPLOYCTL" "$@"
	assert_eq "$RC" "$want_rc" "$what through \$DEPLOYFS_MOUNT: exit status ($ERRTXT)"
	assert_eq "$(cat "$T/run.out")" "$want" "$what through \$DEPLOYFS_MOUNT: output"
}

make_tgz "$T/app.tgz"
cp "$T/app.tgz" "$MNT/deploy/web" || fail "cp v1"
id=$(ls "$MNT/deployments")
wait_until 30 deliveries_are "$id" success 2 || fail "two deliveries of v1"

# Both delivered: wait exits 0, status shows no lag.
same_answer "wait v1" wait "$id" --timeout 30
assert_eq "$RC" 0 "wait v1 ($ERRTXT)"
assert_eq "$(cut -f1-3 "$T/run.out")" "$(printf 'host-b\tweb@1\tsuccess\nhost-c\tweb@1\tsuccess')" "wait v1's lines"
same_answer "wait --json" --json wait web@1
assert_eq "$(jq -r '[.[].node] | join(",")' "$T/run.out")" host-b,host-c "wait --json's nodes"
same_answer "status" status web -o NODE,DELIVERED,STATUS,LAGS,ERROR
assert_match "$(sed -n 3p "$T/run.out")" '^host-c +web@1 +success +no +-?$' "status's host-c"
same_answer "status --json" --json status web
assert_eq "$(jq -r '[.[] | .node + ":" + (.following|tostring)] | join(",")' "$T/run.out")" \
	"host-b:true,host-c:true" "status --json's nodes"
# The default table (with its ages) through a mount.
run mnt_ctl --mount "$MNT" status web
assert_eq "$RC" 0 "status's table through the mount ($ERRTXT)"
assert_match "$(sed -n 2p "$T/run.out")" '^host-b +web@1 +success +.* ago +no$' "status's host-b through the mount"

# Host c refuses v2: wait exits 1 naming it, status shows host c lagging.
touch "$REFUSE"
make_tgz "$T/app2.tgz"
cp "$T/app2.tgz" "$MNT/deploy/web" || fail "cp v2"
wait_until 30 deliveries_are "$(ls "$MNT/deployments" | tail -n 1)" failed 1 ||
	fail "host c's failed delivery of v2"
same_answer "wait with a failed delivery" wait web@2 --timeout 30
assert_eq "$RC" 1 "wait with a failed delivery"
assert_match "$(cat "$T/run.out")" "host-c	web@2	failed	hook_failed" "wait names the failure"
assert_match "$ERRTXT" "1 of 2 delivery\(ies\) failed" "wait's message"
same_answer "status with host c failing" status web -o NODE,DELIVERED,STATUS,LAGS,ERROR
assert_match "$(grep '^host-c' "$T/run.out")" '^host-c +web@1 +failed +yes +hook_failed' "host-c lags"
same_answer "status --json with host c failing" --json status web
rm -f "$REFUSE"

# With host c down: wait times out, or is content with --nodes 1.
stop_follower_c
make_tgz "$T/app3.tgz"
cp "$T/app3.tgz" "$MNT/deploy/web" || fail "cp v3"
run mnt_ctl --mount "$MNT" wait web@3 --timeout 2
assert_eq "$RC" 1 "wait through the mount with a follower down"
assert_match "$ERRTXT" "timed out after 2 s: [01] of 2 node\\(s\\) settled" "the timeout's message"
run mnt_ctl --mount "$MNT" wait web@3 --nodes 1 --timeout 30
assert_eq "$RC" 0 "wait --nodes 1 through the mount ($ERRTXT)"
# A wait that blocks: it returns once host c, started again, delivered.
mnt_ctl --mount "$MNT" wait web@3 --timeout 60 >"$T/bg.out" 2>"$T/bg.err" &
WAITER=$!
sleep 1
child_running "$WAITER" || fail "wait returned before host c came back: $(cat "$T/bg.err")"
start_follower_c
wait "$WAITER" || fail "the blocked wait exited $?: $(cat "$T/bg.err")"
assert_eq "$(cut -f1-3 "$T/bg.out")" "$(printf 'host-b\tweb@3\tsuccess\nhost-c\tweb@3\tsuccess')" \
	"the blocked wait's lines"

# push --wait-delivered without a catalog waits through the mount.
make_tgz "$T/app4.tgz"
run mnt_ctl push --wait-delivered web "$T/app4.tgz" --mount "$MNT"
assert_eq "$RC" 0 "push --wait-delivered through the mount ($ERRTXT)"
assert_eq "$(grep -c 'web@4	success' "$T/run.out")" 2 "push --wait-delivered's lines"
touch "$REFUSE"
make_tgz "$T/app5.tgz"
run mnt_ctl push --wait-delivered web "$T/app5.tgz" --mount "$MNT"
assert_eq "$RC" 1 "push --wait-delivered with a refusing follower"
assert_match "$ERRTXT" "1 of 2 delivery\(ies\) failed" "push --wait-delivered's message"

# Errors: not a deployfs mount, no such deployment, no such project.
mkdir "$T/plain"
run mnt_ctl --mount "$T/plain" status web
assert_eq "$RC" 1 "status through a plain directory"
assert_match "$ERRTXT" "'$T/plain' is not a deployfs mount" "status: not a mount"
run mnt_ctl --mount "$T/plain" wait web@1
assert_eq "$RC" 1 "wait through a plain directory"
assert_match "$ERRTXT" "is not a deployfs mount" "wait: not a mount"
same_answer "wait for an id that is no deployment" wait 01900000-0000-7000-8000-000000000000
assert_eq "$RC" 1 "wait for an unknown id"
assert_match "$ERRTXT" "no deployment '01900000-0000-7000-8000-000000000000'" "wait: unknown id"
same_answer "wait for web@99" wait web@99
assert_eq "$RC" 1 "wait for web@99"
assert_match "$ERRTXT" "no deployment 'web@99'" "wait: unknown version"
same_answer "status of no project" status nope
assert_eq "$RC" 1 "status of no project"
assert_match "$ERRTXT" "no project 'nope'" "status: unknown project"
finish
