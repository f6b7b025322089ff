#!/bin/bash
# DESIGN "Many hosts": concurrent deploys to one project from two hosts
# each get one record, versions 1..N without a gap or a repeat, and
# current is the newest success. (The project is made by a first deploy:
# starting a new project at once on two hosts is a race of the drop box.)
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
start_host_a
start_host_b

N=7
for i in $(seq $N); do make_tgz "$T/p$i.tgz" 32; done
cp "$T/p1.tgz" "$MNT/deploy/web" || fail "first cp"
pids=()
for i in $(seq 2 $N); do
	if [ $((i % 2)) = 0 ]; then m=$MNT; else m=$MNT_B; fi
	cp "$T/p$i.tgz" "$m/deploy/web" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent cp failed"; done

ids=$(ls "$MNT/deployments")
assert_eq "$(printf '%s\n' "$ids" | wc -l)" $N "records"
assert_eq "$(ls "$MNT_B/deployments")" "$ids" "the same records on both hosts"
versions=$(for id in $ids; do rec "$id" .version; done | sort -n | tr '\n' ' ')
assert_eq "$versions" "$(seq $N | tr '\n' ' ')" "versions"
for id in $ids; do
	assert_eq "$(rec "$id" .status)" success "status of $id"
done
newest=$(printf '%s\n' "$ids" | tail -n 1)
assert_eq "$(readlink "$MNT/projects/web/current")" "../../deployments/$newest" "current on a"
assert_eq "$(readlink "$MNT_B/projects/web/current")" "../../deployments/$newest" "current on b"
finish
