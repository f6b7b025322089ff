#!/bin/bash
# Every deployment of a project gets the next version (failures and
# rollbacks included, never reused, not even after `deployctl project rm`
# and a new deploy to the name); projects/<p>/v<N> links to it without
# being listed; deployctl takes web@N, and list --since takes 1h.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
CTL=$(realpath "$2")
ctl() { "$CTL" --store "$STORE" "$@"; }
start_daemon

make_tgz "$T/a.tgz"
deploy_ok "$T/a.tgz" web
v1=$ID
make_tgz "$T/b.tgz"
deploy_ok "$T/b.tgz" web
v2=$ID
echo "not an archive" >"$T/junk.txt"
deploy_fail "Bad message|Input/output" "$T/junk.txt" web
v3=$ID
deploy_ok "$T/a.tgz" api
assert_eq "$(rec "$v1" .version)" 1 "web's first version"
assert_eq "$(rec "$v2" .version)" 2 "web's second version"
assert_eq "$(rec "$v3" .version)" 3 "a failed deploy's version"
assert_eq "$(rec "$ID" .version)" 1 "api's own count"

# projects/web/v2 reads back, as the <id> link does.
assert_eq "$(link_target "$MNT/projects/web/v2")" "../../deployments/$v2" "projects/web/v2"
assert_eq "$(jq -r .deployment_id "$MNT/projects/web/v2/record.json")" "$v2" \
	"projects/web/v2/record.json"
assert_cmp "$MNT/projects/web/v2/payload" "$T/b.tgz" "projects/web/v2/payload"
[ ! -e "$MNT/projects/web/v4" ] || fail "projects/web/v4 exists before deploy 4"
[ ! -e "$MNT/projects/web/v02" ] || fail "projects/web/v02 exists"
ls "$MNT/projects/web" >"$T/ls"
! grep -q '^v[0-9]' "$T/ls" || fail "ls projects/web lists v<N> names: $(cat "$T/ls")"
assert_eq "$(wc -l <"$T/ls")" 5 "ls projects/web: 3 ids, latest, current"

# deployctl show web@2; a rollback to web@1 is web@4.
assert_eq "$(ctl show web@2 | jq -r .deployment_id)" "$v2" "deployctl show web@2"
run ctl rollback web web@1 --mount "$MNT"
assert_eq "$RC" 0 "rollback web web@1 (stderr: $ERRTXT)"
v4=$(ctl show web@latest | jq -r .deployment_id)
assert_eq "$(rec "$v4" .version)" 4 "a rollback's version"
assert_eq "$(rec "$v4" .rollback_of)" "$v1" "rollback_of"
assert_eq "$(link_target "$MNT/projects/web/v4")" "../../deployments/$v4" "projects/web/v4"
run ctl list --project web --limit 1 -o NAME,MARKS,ROLLBACK_OF
assert_match "$(cat "$T/run.out")" 'web@4 +current,rollback +web@1' "list: the rollback's row"

# list --since 1h: everything just deployed; --until 1h: nothing.
assert_eq "$(ctl --json list --since 1h | jq .total)" 5 "list --since 1h"
assert_eq "$(ctl --json list --until 1h | jq .total)" 0 "list --until 1h"
run ctl list --since 1h
assert_eq "$(wc -l <"$T/run.out")" 6 "list --since 1h: a header and 5 rows"

# Removed and deployed again: the count goes on.
run ctl project rm web --force
assert_eq "$RC" 0 "project rm web --force (stderr: $ERRTXT)"
[ ! -e "$MNT/projects/web/v2" ] || fail "projects/web/v2 after project rm"
expect_fail "no deployment 'web@2'" "show web@2 after project rm" ctl show web@2
deploy_ok "$T/b.tgz" web
assert_eq "$(rec "$ID" .version)" 5 "version after project rm"
assert_eq "$(link_target "$MNT/projects/web/v5")" "../../deployments/$ID" "projects/web/v5"
finish
