#!/bin/bash
# DESIGN "Access": deploy/ is shared like /tmp (1777 by default, stored),
# projects keep the ordinary modes their creators asked for, and the
# daemon checks permissions itself. The same scenario runs as two
# unprivileged users under -o allow_other,default_permissions and then
# under -o allow_other alone, and must give the same results.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	printf '\n*** SKIP: acting as other users needs root and setpriv ***\n\n' >&2
	exit 77
fi
UA=65534 # user A (and group 65534)
UB=65533 # user B, with no passwd entry: nothing needs its name
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"
}
chmod 755 "$T" # others must reach the mount and the sources
# Distinct sizes: rsync's quick check (size and whole-second mtime) must
# never take one payload for another.
kib=60
for f in a1 a2 b1 w1 w2 w3 x1; do
	make_tgz "$T/$f.tgz" $kib
	kib=$((kib + 1))
done
chmod 644 "$T"/*.tgz

# expect RESULTS-FILE WANT WHAT CMD... — WANT is "ok" or an ERE that CMD's
# stderr must match; the outcome goes to RESULTS-FILE for the comparison.
expect() {
	local out=$1 want=$2 what=$3
	shift 3
	run "$@"
	if [ "$want" = ok ]; then
		[ "$RC" -eq 0 ] || fail "$what: exit $RC: $ERRTXT"
		echo "$what: ok" >>"$out"
	else
		[ "$RC" -ne 0 ] || fail "$what: succeeded, expected /$want/"
		[[ $ERRTXT =~ $want ]] || fail "$what: stderr '$ERRTXT' lacks /$want/"
		echo "$what: $want" >>"$out"
	fi
}
count() { ids_of "$1" | wc -l; }
# note PROJECT FILE — its newest deployment is FILE: read back at the end.
declare -A PAYLOAD
note() { PAYLOAD[$(ids_of "$1" | tail -n 1)]=$2; }

scenario() {
	local r=$1 id ida
	shift
	: >"$r"
	PAYLOAD=()
	(umask 022 && cp "$T/w1.tgz" "$MNT/deploy/web")
	note web "$T/w1.tgz"
	assert_eq "$(stat -c '%a %u' "$MNT/deploy")" "1777 0" "deploy/ by default"

	# A starts a project with the mode cp asks for, and deploys again.
	expect "$r" ok "A starts a" as $UA sh -c "umask 022; cp '$T/a1.tgz' '$MNT/deploy/a'"
	note a "$T/a1.tgz"
	assert_eq "$(stat -c '%a %u %g' "$MNT/deploy/a")" "644 $UA $UA" "owner of a"
	expect "$r" ok "A deploys a again" as $UA cp "$T/a2.tgz" "$MNT/deploy/a"
	assert_eq "$(count a)" 2 "records of a"
	ida=$(ids_of a | tail -n 1)
	check_success "$ida" a "$T/a2.tgz"
	assert_eq "$(rec "$ida" .uid)" $UA "uid of A's deploy"
	note a "$T/a2.tgz"

	# B starts its own, and may not touch A's.
	expect "$r" 'No such file' "B stats a missing name" as $UB stat "$MNT/deploy/b"
	expect "$r" ok "B starts b" as $UB cp "$T/b1.tgz" "$MNT/deploy/b"
	note b "$T/b1.tgz"
	assert_eq "$(stat -c '%u' "$MNT/deploy/b")" $UB "owner of b"
	expect "$r" 'Permission denied' "B deploys to a" as $UB cp "$T/b1.tgz" "$MNT/deploy/a"
	expect "$r" 'Operation not permitted' "B unlinks a" as $UB rm -f "$MNT/deploy/a"
	expect "$r" 'Operation not permitted' "B chmods a" as $UB chmod 666 "$MNT/deploy/a"
	expect "$r" 'Operation not permitted' "B chmods deploy/" as $UB chmod 700 "$MNT/deploy"
	expect "$r" ok "B reads a 644 a" as $UB cmp -s "$MNT/deploy/a" "$T/a2.tgz"
	assert_eq "$(count a)" 2 "records of a after B"
	[ -e "$MNT/deploy/a" ] || fail "deploy/a gone after B's rm"

	# Read bits: A's 600 project is A's alone, whatever path reads it.
	expect "$r" ok "A chmods a 600" as $UA chmod 600 "$MNT/deploy/a"
	expect "$r" 'Permission denied' "B reads deploy/a" as $UB cat "$MNT/deploy/a"
	expect "$r" 'Permission denied' "B reads a payload" \
		as $UB cat "$MNT/deployments/$ida/payload"
	expect "$r" 'Permission denied' "B reads current/payload" \
		as $UB cat "$MNT/projects/a/current/payload"
	expect "$r" 'Permission denied' "B reads a manifest" \
		as $UB cat "$MNT/deployments/$ida/manifest"
	expect "$r" 'Permission denied' "B reads a log" as $UB cat "$MNT/deployments/$ida/log"
	expect "$r" ok "B reads a record.json" as $UB jq -e .deployment_id \
		"$MNT/deployments/$ida/record.json"
	expect "$r" ok "A reads its payload" as $UA cmp -s \
		"$MNT/deployments/$ida/payload" "$T/a2.tgz"
	expect "$r" ok "A reads its manifest" as $UA cat "$MNT/deployments/$ida/manifest"
	expect "$r" 'Permission denied' "B drops a payload" \
		as $UB rm -f "$MNT/deployments/$ida/payload"

	# A may unlink (hide) its own project and bring it back with install.
	expect "$r" ok "A installs a" as $UA install -m 0600 "$T/a1.tgz" "$MNT/deploy/a"
	assert_eq "$(count a)" 3 "records of a after install"
	note a "$T/a1.tgz"

	# The mount's owner restricts who starts projects.
	chmod 1755 "$MNT/deploy"
	expect "$r" 'Permission denied' "B starts c under 1755" \
		as $UB cp "$T/x1.tgz" "$MNT/deploy/c"
	[ ! -e "$MNT/projects/c" ] || fail "a refused create left a project"
	expect "$r" 'Permission denied' "B stages a file under 1755" \
		as $UB cp "$T/x1.tgz" "$MNT/deploy/.tmpxx1234"
	expect "$r" ok "B deploys its b under 1755" as $UB cp "$T/a1.tgz" "$MNT/deploy/b"
	assert_eq "$(count b)" 2 "records of b"
	note b "$T/a1.tgz"

	# A team: deploy/ for group 65534 without the sticky bit, and web
	# shared with the group: A's cp and rsync (temp file, then rename
	# over root's drop box) deploy; B, outside the group, cannot.
	chgrp $UA "$MNT/deploy"
	chmod 0775 "$MNT/deploy"
	chgrp $UA "$MNT/deploy/web"
	chmod 664 "$MNT/deploy/web"
	expect "$r" ok "A's cp to the team's web" as $UA cp "$T/w2.tgz" "$MNT/deploy/web"
	id=$(ids_of web | tail -n 1)
	check_success "$id" web "$T/w2.tgz"
	note web "$T/w2.tgz"
	expect "$r" ok "A's rsync to the team's web" as $UA rsync -a "$T/w3.tgz" "$MNT/deploy/web"
	id=$(ids_of web | tail -n 1)
	check_success "$id" web "$T/w3.tgz"
	note web "$T/w3.tgz"
	assert_eq "$(stat -c '%a %u %g' "$MNT/deploy/web")" "664 0 $UA" \
		"a deploy does not re-permission the project"
	expect "$r" 'Permission denied' "B's rsync to the team's web" \
		as $UB rsync -a "$T/b1.tgz" "$MNT/deploy/web"
	assert_eq "$(count web)" 3 "records of web"

	# Everything persists across a restart.
	stop_daemon
	start_daemon "$@"
	assert_eq "$(stat -c '%a %u %g' "$MNT/deploy")" "775 0 $UA" "deploy/ after a restart"
	assert_eq "$(stat -c '%a %u %g' "$MNT/deploy/web")" "664 0 $UA" "web after a restart"
	assert_eq "$(stat -c '%a %u %g' "$MNT/deploy/a")" "600 $UA $UA" "a after a restart"
	expect "$r" 'Permission denied' "B reads a after a restart" as $UB cat "$MNT/deploy/a"
	assert_eq "${#PAYLOAD[@]}" 8 "deployments noted"
	for id in "${!PAYLOAD[@]}"; do
		assert_cmp "$MNT/deployments/$id/payload" "${PAYLOAD[$id]}" "payload $id"
	done
}

# shellcheck disable=SC2086
start_daemon -o allow_other,default_permissions
scenario "$T/with.txt" -o allow_other,default_permissions
stop_daemon
rm -rf "$STORE"
start_daemon -o allow_other
scenario "$T/without.txt" -o allow_other
diff -u "$T/with.txt" "$T/without.txt" ||
	fail "results differ with and without default_permissions"
finish
