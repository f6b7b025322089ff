#!/bin/bash
# Many readers open, read and close record.json at once. Each reply must
# come from memory the request owns: a handle released by another thread
# as soon as its reader has the bytes must not pull the reply's buffer
# away (the sanitizer build reports it as a use after free).
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

make_tgz "$T/v1.tgz"
deploy_ok "$T/v1.tgz" web
rec=$MNT/deployments/$ID/record.json
cat "$rec" >"$T/want.json"
pids=()
for j in 1 2 3 4; do
	(
		for ((i = 0; i < 1000; i++)); do
			cmp -s "$rec" "$T/want.json" || exit 1
		done
	) &
	pids+=("$!")
	bg_pid "$!"
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a reader saw record.json differ, or could not read it"
done
child_running "$DPID" || fail "the daemon died under concurrent reads"
finish
