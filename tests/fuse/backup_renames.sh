#!/bin/bash
# README "Deploy semantics": tools that back the destination up first
# (rsync -b, cp -b, install -b, cp --backup=numbered) rename deploy/<p>
# to <p>~ or <p>.~N~, then write <p>. That rename hides the drop box as
# unlink does, so the write deploys; <p>~ then reads, read-only and
# unlisted, as the payload deploy/<p> showed before: the history is the
# backup. A rename to any other name stays refused.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
as_root=false
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	as_root=true
	start_daemon -o allow_other,default_permissions
else
	start_daemon
fi
D=$MNT/deploy
chmod 755 "$T"
# Distinct sizes: rsync's quick check must never take one for another.
for i in 1 2 3 4 5 6 7; do make_tgz "$T/app$i.tgz" $((60 + i)); done
chmod 644 "$T"/*.tgz
mkdir "$T/src"

# backup_deploy WHAT NEW OLD CMD... — CMD (which backs deploy/web up and
# writes NEW) exits 0, makes exactly one new success record of NEW, and
# deploy/web~ then reads OLD; only web is listed.
backup_deploy() {
	local what=$1 new=$2 old=$3 before id
	shift 3
	before=$(ids_all)
	run "$@"
	[ "$RC" -eq 0 ] || fail "$what: exit $RC: $ERRTXT"
	[ ! -s "$T/run.err" ] || fail "$what: said: $ERRTXT"
	id=$(new_id "$before")
	check_success "$id" web "$new"
	check_current web "$id" "$new"
	assert_cmp "$D/web~" "$old" "$what: deploy/web~ after"
	assert_eq "$(ls -A "$D")" web "$what: ls -A deploy"
}

deploy_ok "$T/app1.tgz" web
[ ! -e "$D/web~" ] || fail "web~ shows something with one deployment"
cp "$T/app2.tgz" "$T/src/web"
backup_deploy "rsync -ab" "$T/app2.tgz" "$T/app1.tgz" \
	rsync -ab "$T/src/web" "$D/"
# Again: web~ shows now, and rsync -b removes it before its rename.
cp "$T/app3.tgz" "$T/src/web"
backup_deploy "rsync -ab, web~ shown" "$T/app3.tgz" "$T/app2.tgz" \
	rsync -ab "$T/src/web" "$D/"
backup_deploy "cp -b" "$T/app4.tgz" "$T/app3.tgz" \
	cp -b "$T/app4.tgz" "$D/web"
backup_deploy "install -b" "$T/app5.tgz" "$T/app4.tgz" \
	install -b -m 0644 "$T/app5.tgz" "$D/web"
backup_deploy "cp --backup=numbered" "$T/app6.tgz" "$T/app5.tgz" \
	cp --backup=numbered "$T/app6.tgz" "$D/web"
# Numbered names show nothing (cp numbers them from a listing).
[ ! -e "$D/web.~1~" ] || fail "web.~1~ shows something"

# The backup is a view: read-only, as payloads are.
assert_eq "$(stat -c %a "$D/web~")" 444 "mode of deploy/web~"
expect_fail 'Read-only' "write to deploy/web~" \
	sh -c "echo x >'$D/web~'"
# rm of it hides it until the next backup; history is untouched.
before=$(ids_all)
rm "$D/web~" || fail "rm deploy/web~"
[ ! -e "$D/web~" ] || fail "deploy/web~ still there after rm"
assert_eq "$(ids_all)" "$before" "records after rm web~"
backup_deploy "cp -b after rm web~" "$T/app7.tgz" "$T/app6.tgz" \
	cp -b "$T/app7.tgz" "$D/web"

# Any other name: refused as before, nothing hidden.
expect_fail 'Operation not permitted' "mv web web.bak" mv -T "$D/web" "$D/web.bak"
expect_fail 'Operation not permitted' "mv web to another's backup name" \
	mv -T "$D/web" "$D/api~"
check_current web "$(ids_of web | tail -1)" "$T/app7.tgz"

if $as_root; then
	# Another user may not back up (hide) root's project: deploy/'s
	# sticky bit, then the project's mode once deploy/ is not sticky.
	as() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
	before=$(ids_all)
	expect_fail 'Operation not permitted' "cp -b by another user" \
		as cp -b "$T/app1.tgz" "$D/web"
	chmod 0777 "$D"
	expect_fail 'Permission denied' "cp -b by another user, 0777 deploy/" \
		as cp -b "$T/app1.tgz" "$D/web"
	assert_eq "$(ids_all)" "$before" "records after refused backups"
	check_current web "$(ids_of web | tail -1)" "$T/app7.tgz"
fi
finish
