#!/bin/bash
# DESIGN "Many hosts": concurrent deploys to one project from two hosts
# each get one record, versions 1..N without a gap or a repeat, and
# current is the newest success. Then a new project started from both
# hosts at the same instant, several rounds: cp's O_EXCL create that loses
# the race to the other host adopts the project, and both cps deploy.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
# A hook that takes a second keeps each deploy in flight (pending/hook,
# not yet current) far longer than cp's gap between its stat and its
# O_EXCL create: the race the rounds below run is the one of a first
# deploy in flight. (One that settles inside that gap is cp's own
# O_EXCL race, as on any file system.)
write_hook "$T/slow" <<'EOF2'
#!/bin/sh
sleep 1
EOF2
start_host_a -o "hook=$T/slow,hook_wait"
start_host_b -o "hook=$T/slow,hook_wait"

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

# Each round: both cps wait on one barrier, then run at once (ROUNDS and
# BIG_KIB from the environment make a longer stress run).
ROUNDS=${ROUNDS:-12}
make_tgz "$T/big.tgz" ${BIG_KIB:-1024}
for r in $(seq $ROUNDS); do
	go=$T/go.$r
	(while [ ! -e "$go" ]; do sleep 0.01; done
	 cp "$T/big.tgz" "$MNT/deploy/new$r") 2>"$T/cpa.$r" &
	pa=$!
	(while [ ! -e "$go" ]; do sleep 0.01; done
	 cp "$T/big.tgz" "$MNT_B/deploy/new$r") 2>"$T/cpb.$r" &
	pb=$!
	touch "$go"
	wait "$pa" || fail "round $r: cp on a: $(cat "$T/cpa.$r")"
	wait "$pb" || fail "round $r: cp on b: $(cat "$T/cpb.$r")"
	ids=$(ids_of "new$r")
	assert_eq "$(printf '%s\n' "$ids" | grep -c .)" 2 "round $r: records"
	assert_eq "$(for id in $ids; do rec "$id" .origin_node; done | sort | tr '\n' ' ')" \
		"host-a host-b " "round $r: one record from each host"
	for id in $ids; do
		assert_eq "$(rec "$id" .status)" success "round $r: status of $id"
	done
	assert_cmp "$MNT_B/deploy/new$r" "$T/big.tgz" "round $r: deploy/new$r on b"
done
finish
