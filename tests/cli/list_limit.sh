#!/bin/bash
# deployctl list --limit 0 is bad usage (exit 2); --limit 1 lists one.
. "$(dirname "$0")/lib.sh" "$@"

"$GEN" --store "$T/s" -n 5
expect 2 "--limit: give at least 1" "--limit 0" "$CTL" --store "$T/s" list --limit 0
assert_eq "$OUT" "" "output of a refused list"
expect 2 "--limit: '-1' is not a non-negative integer" "--limit -1" \
	"$CTL" --store "$T/s" list --limit -1
run "$CTL" --store "$T/s" --json list --limit 1
assert_eq "$RC" 0 "--limit 1 (stderr: $ERRTXT)"
assert_eq "$(jq '.deployments | length' <<<"$OUT")" 1 "rows with --limit 1"
assert_eq "$(jq .total <<<"$OUT")" 5 "total with --limit 1"
finish
