#!/bin/bash
# A deployment's record.json, log and manifest are history: rm of any of
# them is refused with EPERM ("Operation not permitted", as for a file
# one may not remove), not ENOENT, and the file stays.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

make_tgz "$T/v1.tgz"
deploy_ok "$T/v1.tgz" web
dir=$MNT/deployments/$ID
for f in record.json log manifest; do
	[ -f "$dir/$f" ] || fail "$f is not listed before rm"
	before=$(cat "$dir/$f")
	expect_fail 'Operation not permitted' "rm $f" rm -f "$dir/$f"
	[ -f "$dir/$f" ] || fail "$f is gone after a refused rm"
	assert_eq "$(cat "$dir/$f")" "$before" "$f after a refused rm"
done
# A name that is not there is still not there.
expect_fail 'No such file' "rm of a missing name" rm "$dir/nothing"
finish
