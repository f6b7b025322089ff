#!/bin/bash
# README "Deploy semantics": a dot-named directory in deploy/ is a staging
# directory, as rsync's --delay-updates (".~tmp~") and --partial-dir
# make them: files in it are staging files, a rename out of it onto a
# project commits, rmdir removes it once empty. Any other mkdir in
# deploy/ stays refused.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon
D=$MNT/deploy

for i in 1 2 3; do make_tgz "$T/app$i.tgz" $((60 + i)); done
mkdir "$T/src"

# rsync_deploy WHAT FILE MODE RSYNC-ARGS... — rsync FILE as deploy/web:
# exit 0, exactly one new success record of FILE (MODE as check_success),
# and deploy/web reads FILE.
rsync_deploy() {
	local what=$1 f=$2 mode=$3 before id
	shift 3
	cp "$f" "$T/src/web"
	before=$(ids_all)
	run rsync "$@" "$T/src/web" "$D/"
	[ "$RC" -eq 0 ] || fail "$what: rsync exit $RC: $ERRTXT"
	[ ! -s "$T/run.err" ] || fail "$what: rsync said: $ERRTXT"
	id=$(new_id "$before")
	check_success "$id" web "$f" "$mode"
	check_current web "$id" "$f"
	assert_cmp "$D/web" "$f" "$what: deploy/web"
}

deploy_ok "$T/app1.tgz" web
rsync_deploy "--delay-updates" "$T/app2.tgz" "" -a --delay-updates
[ ! -e "$D/.~tmp~" ] || fail "--delay-updates left deploy/.~tmp~ behind"
assert_eq "$(ls -A "$D")" web "ls -A deploy after --delay-updates"

# --partial-dir, resuming an interrupted transfer: its partial file waits
# in the partial dir, and the next run writes the rest into it, renames
# it into place and removes the dir. bytes_received counts the bytes
# written to the file, the partial ones too.
mkdir "$D/.rsync-partial" || fail "mkdir deploy/.rsync-partial"
head -c 20000 "$T/app3.tgz" >"$D/.rsync-partial/web" ||
	fail "write the partial file"
assert_eq "$(ls -A "$D/.rsync-partial")" web "ls of the partial dir"
assert_eq "$(ids_of web | wc -l)" 2 "records after writing a partial file"
rsync_deploy "--partial-dir" "$T/app3.tgz" delta -a --partial-dir=.rsync-partial
[ ! -e "$D/.rsync-partial" ] || fail "--partial-dir left its directory"

# By hand: files, listings, rename out, rmdir.
mkdir "$D/.st" || fail "mkdir deploy/.st"
[ -d "$D/.st" ] || fail "deploy/.st is no directory"
assert_eq "$(stat -c %a "$D/.st")" 755 "mode of deploy/.st"
assert_eq "$(stat -c %u "$D/.st")" "$(id -u)" "owner of deploy/.st"
# shellcheck disable=SC2010 # readdir itself is under test
ls -A "$D" | grep -qx .st || fail "ls -A deploy lacks .st"
expect_fail 'File exists' "mkdir of an existing staging dir" mkdir "$D/.st"
cp "$T/app1.tgz" "$D/.st/web" || fail "cp into deploy/.st"
assert_cmp "$D/.st/web" "$T/app1.tgz" "deploy/.st/web reads back"
assert_eq "$(ls -A "$D/.st")" web "ls deploy/.st"
# The file is listed in its directory only.
assert_eq "$(ls -A "$D" | tr '\n' ' ')" ".st web " "ls -A deploy"
expect_fail 'not empty' "rmdir of a staging dir with a file" rmdir "$D/.st"
before=$(ids_all)
mv "$D/.st/web" "$D/.st/other" || fail "rename within deploy/.st"
assert_eq "$(ids_all)" "$before" "records after a move within .st"
mv "$D/.st/other" "$D/web" || fail "rename out of deploy/.st onto web"
id=$(new_id "$before")
check_success "$id" web "$T/app1.tgz"
[ ! -e "$D/.st/other" ] || fail "deploy/.st/other still there"
# A file removed from it leaves no record.
cp "$T/app2.tgz" "$D/.st/web" || fail "cp into deploy/.st again"
before=$(ids_all)
rm "$D/.st/web" || fail "rm deploy/.st/web"
assert_eq "$(ids_all)" "$before" "records after rm in .st"
rmdir "$D/.st" || fail "rmdir of an empty staging dir"
[ ! -e "$D/.st" ] || fail "deploy/.st still there after rmdir"
expect_fail 'No such file' "rmdir of a gone staging dir" rmdir "$D/.st"

# A bad payload renamed out of it fails that rename; the file stays.
mkdir "$D/.st" || fail "mkdir deploy/.st again"
head -c 4096 /dev/urandom >"$T/junk"
cp "$T/junk" "$D/.st/web" || fail "cp junk into deploy/.st"
before=$(ids_all)
expect_fail 'Bad message' "rename of junk onto web" mv "$D/.st/web" "$D/web"
id=$(new_id "$before")
check_failed "$id" web not_an_archive
[ -f "$D/.st/web" ] || fail "junk left deploy/.st after a failed rename"
rm "$D/.st/web"
rmdir "$D/.st"

# Only dot names: deploy/ holds files.
expect_fail 'Operation not permitted' "mkdir deploy/x" mkdir "$D/x"
expect_fail 'Operation not permitted' "mkdir deploy/newproj" mkdir "$D/newproj"
expect_fail 'File exists' "mkdir deploy/web" mkdir "$D/web"
mkdir "$D/.st"
expect_fail 'Operation not permitted' "nested mkdir" mkdir "$D/.st/.in"
rmdir "$D/.st"
expect_fail 'Read-only' "mkdir outside deploy/" mkdir "$MNT/projects/x"

# Staging dirs live in the daemon's memory, as staging files do.
mkdir "$D/.st"
cp "$T/app2.tgz" "$D/.st/web"
stop_daemon
start_daemon
[ ! -e "$D/.st" ] || fail "a staging dir survived a restart"
assert_eq "$(ls -A "$D")" web "ls -A deploy after a restart"
finish
