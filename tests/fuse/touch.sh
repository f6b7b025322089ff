#!/bin/bash
# DESIGN "Deploy semantics": touch on deploy/<p> (open, no bytes, utimens)
# deploys nothing and sets the current deployment's source_mtime, which
# is the drop box's mtime.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

make_tgz "$T/app.tgz"
deploy_ok "$T/app.tgz" web
id=$ID
before=$(ids_all)

touch -d 2022-02-02 "$MNT/deploy/web" || fail "touch -d"
assert_eq "$(jq -r .source_mtime "$MNT/projects/web/current/record.json")" \
	2022-02-02T00:00:00.000Z "source_mtime after touch -d"
assert_eq "$(stat -c %Y "$MNT/deploy/web")" "$(date -d 2022-02-02 +%s)" \
	"mtime of deploy/web after touch -d"

touch -d '2023-03-03 03:03:03.25' "$T/ref"
touch -r "$T/ref" "$MNT/deploy/web" || fail "touch -r"
assert_eq "$(jq -r .source_mtime "$MNT/projects/web/current/record.json")" \
	2023-03-03T03:03:03.250Z "source_mtime after touch -r"
assert_eq "$(stat -c %y "$MNT/deploy/web")" "$(stat -c %y "$T/ref")" \
	"mtime of deploy/web after touch -r"

t0=$(date +%s)
touch "$MNT/deploy/web" || fail "touch"
got=$(date -d "$(jq -r .source_mtime "$MNT/projects/web/current/record.json")" +%s)
[ "$got" -ge "$t0" ] || fail "source_mtime after a plain touch is $got, before $t0"

assert_eq "$(ids_all)" "$before" "records after touch"
assert_eq "$(link_target "$MNT/projects/web/current")" "../../deployments/$id" "current"
assert_cmp "$MNT/deploy/web" "$T/app.tgz" "deploy/web after touch"
assert_cmp "$MNT/deployments/$id/payload" "$T/app.tgz" "payload after touch"
finish
