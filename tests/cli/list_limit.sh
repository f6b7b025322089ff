#!/bin/bash
# deployctl list --limit 0 is bad usage (exit 2); --limit 1 lists one;
# project without a subcommand or name is bad usage too.
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
# deployctl project: a subcommand and, for rm, one project name.
expect 2 "usage: deployctl project" "project alone" "$CTL" --store "$T/s" project
expect 2 "usage: deployctl project" "project rm alone" "$CTL" --store "$T/s" project rm
expect 2 "'a/b' is not a project name" "project rm a/b" "$CTL" --store "$T/s" project rm a/b
expect 1 "no project 'nope'" "project rm nope" "$CTL" --store "$T/s" project rm nope
run "$CTL" --store "$T/s" project --help
assert_eq "$RC" 0 "project --help"
finish
