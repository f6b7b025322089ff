#!/bin/bash
# Deployments are named PROJECT@N (never reused), PROJECT@current and
# PROJECT@latest wherever deployctl takes an id, besides unique prefixes;
# tables show PROJECT@N while --json keeps full ids.
. "$(dirname "$0")/lib.sh" "$@"
S=$T/s
"$GEN" --store "$S" -n 40 --projects 2 --days 10 >/dev/null

"$CTL" --store "$S" --json list --project proj-000 >"$T/all.json"
n=$(jq '.deployments | length' "$T/all.json")
[ "$n" -ge 2 ] || fail "expected deployments of proj-000, got $n"
# Versions count 1..n in deploy order (the listing is newest first).
assert_eq "$(jq -c '[.deployments[].version] | reverse' "$T/all.json")" \
	"$(jq -c "[range(1; $n + 1)]" <<<null)" "versions of proj-000"
id2=$(jq -r '.deployments[] | select(.version == 2) | .deployment_id' "$T/all.json")
latest=$(jq -r '.deployments[0].deployment_id' "$T/all.json")
current=$(jq -r '[.deployments[] | select(.status == "success" and .payload_blob_present)][0].deployment_id' "$T/all.json")

run "$CTL" --store "$S" show proj-000@2
assert_eq "$RC" 0 "show proj-000@2 (stderr: $ERRTXT)"
assert_eq "$(jq -r .deployment_id <<<"$OUT")" "$id2" "show proj-000@2"
assert_eq "$(jq -r .version <<<"$OUT")" 2 "show proj-000@2: version"
assert_eq "$("$CTL" --store "$S" show proj-000@latest | jq -r .deployment_id)" \
	"$latest" "show proj-000@latest"
assert_eq "$("$CTL" --store "$S" show proj-000@current | jq -r .deployment_id)" \
	"$current" "show proj-000@current"
# A unique prefix still works; the same record either way.
assert_eq "$("$CTL" --store "$S" show "${id2:0:30}" | jq -r .version)" 2 "show by prefix"
run "$CTL" --store "$S" payload proj-000@current -o "$T/cur.tgz"
assert_eq "$RC" 0 "payload proj-000@current (stderr: $ERRTXT)"

expect 1 "no deployment 'proj-000@$((n + 1))'" "a version not made yet" \
	"$CTL" --store "$S" show "proj-000@$((n + 1))"
expect 1 "no deployment 'nope@1'" "an unknown project" "$CTL" --store "$S" show nope@1
expect 2 "not a deployment id or name" "version 0" "$CTL" --store "$S" show proj-000@0
expect 2 "not a deployment id or name" "a bad project name" "$CTL" --store "$S" show 'a/b@1'
# UUIDv7 ids of one store share their first hex digits.
expect 1 "ambiguous: give more of the id, or name it PROJECT@VERSION" \
	"a short prefix" "$CTL" --store "$S" show "${id2:0:4}"

# The table names deployments PROJECT@N; --json keeps the full ids.
run "$CTL" --store "$S" list --project proj-000 -o NAME,ID
assert_eq "$RC" 0 "list -o NAME,ID (stderr: $ERRTXT)"
assert_match "$OUT" "proj-000@2 +$id2" "the table's row of proj-000@2"
finish
