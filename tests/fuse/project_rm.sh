#!/bin/bash
# deployctl project rm while the daemon serves the store: a failed-only
# project goes (its records, links and payloads) with one project_removed
# event; a project with a success is refused without --force; a project
# with a pending deploy is refused; other projects' payloads still read
# back, and the removed name can be deployed to again.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
CTL=$(realpath "$2")
ctl() { "$CTL" --store "$STORE" "$@"; }
start_daemon

make_tgz "$T/web.tgz"
deploy_ok "$T/web.tgz" web
web=$ID
echo "not an archive" >"$T/junk.txt"
deploy_fail "Bad message|Input/output" "$T/junk.txt" oops
o1=$ID
deploy_fail "Bad message|Input/output" "$T/junk.txt" oops
o2=$ID
# The mistake: a missing name after deploy/ makes a project 'app.tgz'.
make_tgz "$T/app.tgz"
cp "$T/app.tgz" "$MNT/deploy/"
assert_eq "$(ids_of app.tgz | wc -l)" 1 "records of the mistaken project"

run ctl --json project list
assert_eq "$RC" 0 "project list (stderr: $ERRTXT)"
assert_eq "$(jq -c '[.projects[] | [.project, .total, .success, .failed, .pending]]' "$T/run.out")" \
	'[["app.tgz",1,1,0,0],["oops",2,0,2,0],["web",1,1,0,0]]' "project list counts"

# 1. A failed-only project goes.
run ctl --json project rm oops
assert_eq "$RC" 0 "project rm oops (stderr: $ERRTXT)"
assert_eq "$(jq .records_removed "$T/run.out")" 2 "records removed"
[ ! -e "$MNT/projects/oops" ] || fail "projects/oops still there"
[ ! -e "$MNT/deploy/oops" ] || fail "deploy/oops still there"
for id in $o1 $o2; do
	[ ! -e "$MNT/deployments/$id" ] || fail "deployments/$id still there"
	[ ! -e "$MNT/status/failed/$id" ] || fail "status/failed/$id still there"
done
ids_all | grep -q -e "$o1" -e "$o2" && fail "ls deployments still lists oops's records"
wait_until 5 grep -q '"action":"project_removed"' "$MNT/audit.log" ||
	fail "no project_removed event in audit.log"
assert_eq "$(grep '"action":"project_removed"' "$MNT/audit.log" | jq -c '[.project, .records, .deployment_id]')" \
	'["oops",2,null]' "the project_removed event"
assert_cmp "$MNT/deployments/$web/payload" "$T/web.tgz" "web's payload after the removal"
check_current web "$web" "$T/web.tgz"

# 2. A success refuses it without --force; nothing changes.
expect_fail "successful deployment.*--force" "project rm app.tgz" ctl project rm app.tgz
assert_eq "$RC" 1 "exit status of a refused project rm"
assert_eq "$(ids_of app.tgz | wc -l)" 1 "records of app.tgz after the refusal"
app=$(ids_of app.tgz)
assert_cmp "$MNT/deployments/$app/payload" "$T/app.tgz" "app.tgz's payload after the refusal"
run ctl project rm app.tgz --force
assert_eq "$RC" 0 "project rm app.tgz --force (stderr: $ERRTXT)"
[ ! -e "$MNT/projects/app.tgz" ] || fail "projects/app.tgz still there"
[ ! -e "$STORE/blobs/$(sha "$T/app.tgz" | cut -c1-2)/$(sha "$T/app.tgz")" ] ||
	fail "app.tgz's blob was kept"
assert_cmp "$MNT/deploy/web" "$T/web.tgz" "deploy/web after the forced removal"

# 3. A pending deploy refuses it, with EBUSY's message.
# A writer that keeps its descriptor open (every close commits).
python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"x")
time.sleep(60)' "$MNT/deploy/slow" &
writer=$!
bg_pid "$writer"
has_record() { [ -n "$(ids_of slow)" ]; }
wait_until 10 has_record || fail "no pending record for slow"
assert_eq "$(rec "$(ids_of slow)" .status)" pending "status of slow's deploy"
expect_fail "pending" "project rm of a project with a pending deploy" ctl project rm slow --force
assert_eq "$RC" 1 "exit status with a pending deploy"
assert_eq "$(ids_of slow | wc -l)" 1 "slow's records after the refusal"
kill "$writer"
wait "$writer" 2>/dev/null || true
wait_settled "$(ids_of slow)" 10
run ctl project rm slow
assert_eq "$RC" 0 "project rm slow once settled (stderr: $ERRTXT)"

# 4. The name is free again: a new project, a new history.
deploy_ok "$T/web.tgz" oops
check_success "$ID" oops "$T/web.tgz"
assert_eq "$(ids_of oops)" "$ID" "the new oops's records"
assert_eq "$(ls "$MNT/projects")" "$(printf 'oops\nweb')" "ls projects"
finish
