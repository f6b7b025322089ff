#!/bin/bash
# Acceptance 5 of issue 2: 8 concurrent cp to 2 projects give 8 success
# records, each with the hash, project, pid and command of its own writer.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

N=8
declare -A HASH_OF_PID FILE_OF_PID PROJ_OF_PID
for ((i = 0; i < N; i++)); do
	make_tgz "$T/c$i.tgz" 3000
done
before=$(ids_all)
pids=()
for ((i = 0; i < N; i++)); do
	p=alpha
	[ $((i % 2)) -eq 0 ] || p=beta
	cp "$T/c$i.tgz" "$MNT/deploy/$p" &
	pids+=("$!")
	bg_pid "$!"
	FILE_OF_PID[$!]=$T/c$i.tgz
	PROJ_OF_PID[$!]=$p
	HASH_OF_PID[$!]=$(sha "$T/c$i.tgz")
done
for pid in "${pids[@]}"; do
	rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 0 "exit status of cp ${FILE_OF_PID[$pid]} deploy/${PROJ_OF_PID[$pid]}"
done

ids=$(new_ids "$before")
assert_eq "$(printf '%s\n' "$ids" | grep -c .)" "$N" "new deployments"
assert_eq "$(ids_of alpha | wc -l)" 4 "deployments of alpha"
assert_eq "$(ids_of beta | wc -l)" 4 "deployments of beta"
assert_eq "$(ls "$MNT/status/success" | wc -l)" "$N" "entries in status/success"
assert_eq "$(pending_count)" 0 "entries in status/pending"
declare -A seen
for id in $ids; do
	pid=$(rec "$id" .pid)
	[ -n "${FILE_OF_PID[$pid]+x}" ] || fail "$id: pid $pid is none of the cp processes (${pids[*]})"
	[ -z "${seen[$pid]+x}" ] || fail "$id: pid $pid also on record ${seen[$pid]}"
	seen[$pid]=$id
	f=${FILE_OF_PID[$pid]}
	check_success "$id" "${PROJ_OF_PID[$pid]}" "$f"
	assert_eq "$(rec "$id" .payload_hash)" "${HASH_OF_PID[$pid]}" "$id: hash of $f"
	assert_match "$(rec "$id" .command)" "^cp .*$(basename "$f")" "$id: command"
done
# current is one of the project's deployments and reads back whole; which
# one is "newest" when uploads overlap is not pinned down, so the newest
# by id is only a soft check.
for p in alpha beta; do
	cur=$(link_target "$MNT/projects/$p/current")
	cur=${cur##*/}
	ids_of "$p" | grep -q -x -- "$cur" || fail "projects/$p/current -> $cur, not one of its deployments"
	assert_cmp "$MNT/deploy/$p" "$MNT/deployments/$cur/payload" "deploy/$p vs its current payload"
	soft_eq "$cur" "$(ids_of "$p" | tail -n 1)" "projects/$p/current (newest by id)"
done
log "8 concurrent cp: ok"

finish
