#!/bin/bash
# DESIGN "The tree": unlink of deploy/<p> changes no history and hides the
# drop box until the next deploy, so tools that remove the destination
# before writing it (install, cp --remove-destination, mv across
# filesystems, rm -f && cp) redeploy an existing project.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon
shm=$(mktemp -d /dev/shm/deployfs-unlink.XXXXXX)
at_exit "rm -rf '$shm'"

declare -A payload_of
# redeploy WHAT CMD... — CMD must exit 0 and make exactly one new success
# record of web whose payload is $SRC; every earlier payload still reads.
redeploy() {
	local what=$1 before id n
	shift
	before=$(ids_all)
	n=$(ids_of web | wc -l)
	run "$@"
	[ "$RC" -eq 0 ] || fail "$what: exit $RC: $ERRTXT"
	id=$(new_id "$before")
	check_success "$id" web "$SRC"
	assert_eq "$(ids_of web | wc -l)" $((n + 1)) "$what: records of web"
	check_current web "$id" "$SRC"
	payload_of[$id]=$SRC
	for id in "${!payload_of[@]}"; do
		assert_cmp "$MNT/deployments/$id/payload" "${payload_of[$id]}" \
			"$what: earlier payload $id"
	done
}

for i in 1 2 3 4 5 6 7; do make_tgz "$T/app$i.tgz"; done
SRC=$T/app1.tgz
redeploy "first cp" cp "$SRC" "$MNT/deploy/web"

# rm hides the drop box, nothing else: no record, history kept.
before=$(ids_all)
rm "$MNT/deploy/web" || fail "rm deploy/web"
assert_eq "$(ids_all)" "$before" "records after rm"
[ ! -e "$MNT/deploy/web" ] || fail "deploy/web still there after rm"
# shellcheck disable=SC2010 # readdir itself is under test
if ls "$MNT/deploy" | grep -qx web; then fail "ls deploy/ still lists web"; fi
[ -d "$MNT/projects/web" ] || fail "projects/web gone after rm"
[ -L "$MNT/projects/web/current" ] || fail "projects/web/current gone after rm"
expect_fail 'No such file' "rm of a hidden drop box" rm "$MNT/deploy/web"

# Hidden it stays across a restart of the daemon.
stop_daemon
start_daemon
[ ! -e "$MNT/deploy/web" ] || fail "deploy/web back after a restart"
# An open and close with nothing written brings nothing back.
: >"$MNT/deploy/web" || fail ": > deploy/web"
[ ! -e "$MNT/deploy/web" ] || fail "an empty create showed deploy/web again"
assert_eq "$(ids_all)" "$before" "records after an empty create"

SRC=$T/app2.tgz
redeploy "cp after rm" cp "$SRC" "$MNT/deploy/web"
# shellcheck disable=SC2010
ls "$MNT/deploy" | grep -qx web || fail "ls deploy/ lacks web after a deploy"

SRC=$T/app3.tgz
redeploy "install" install -m 0644 "$SRC" "$MNT/deploy/web"
SRC=$T/app4.tgz
redeploy "install again" install -m 0644 "$SRC" "$MNT/deploy/web"
assert_eq "$(stat -c %a "$MNT/deploy/web")" 644 "mode after install -m 0644"

SRC=$T/app5.tgz
redeploy "cp --remove-destination" cp --remove-destination "$SRC" "$MNT/deploy/web"

SRC=$T/app6.tgz
cp "$SRC" "$shm/app.tgz"
touch -d 2022-02-02 "$shm/app.tgz"
redeploy "mv from a tmpfs" mv "$shm/app.tgz" "$MNT/deploy/web"
[ ! -e "$shm/app.tgz" ] || fail "mv left its source"
assert_eq "$(jq -r .source_mtime "$MNT/projects/web/current/record.json")" \
	2022-02-02T00:00:00.000Z "source_mtime kept by mv"

SRC=$T/app7.tgz
redeploy "rm -f && cp" sh -c 'rm -f "$1" && cp "$2" "$1"' sh "$MNT/deploy/web" "$SRC"
finish
