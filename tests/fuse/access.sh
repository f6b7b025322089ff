#!/bin/bash
# DESIGN "Access": a shared build host mounts with
# -o allow_other,default_permissions and the ordinary modes of each
# project hold, for cp and rsync, and persist across restarts.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	printf '\n*** SKIP: acting as another user needs root and setpriv ***\n\n' >&2
	exit 77
fi
OPTS="-o allow_other,default_permissions"
# shellcheck disable=SC2086
start_daemon $OPTS
chmod 755 "$T" # others must reach the mount and the sources
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

make_tgz "$T/a.tgz"
make_tgz "$T/b.tgz"
make_tgz "$T/c.tgz"
chmod 644 "$T"/*.tgz
(umask 022 && cp "$T/a.tgz" "$MNT/deploy/web")
assert_eq "$(stat -c %a "$MNT/deploy/web")" 644 "mode of a project created by cp"

# Only the mount's owner creates projects.
expect_fail 'Permission denied' "another user creating a project" \
	as_nobody cp "$T/a.tgz" "$MNT/deploy/other"
[ ! -e "$MNT/projects/other" ] || fail "a refused create left a project"

# Deploying needs write permission on the project; reading needs read.
expect_fail 'Permission denied' "another user deploying to a 644 project" \
	as_nobody cp "$T/b.tgz" "$MNT/deploy/web"
as_nobody cat "$MNT/deploy/web" | cmp -s - "$T/a.tgz" ||
	fail "another user cannot read a 644 project's current payload"
expect_fail 'Operation not permitted' "chmod by another user" \
	as_nobody chmod 666 "$MNT/deploy/web"

# The group may deploy once the owner lets it, with cp and with rsync.
chgrp 65534 "$MNT/deploy/web"
chmod 664 "$MNT/deploy/web"
before=$(ids_all)
as_nobody cp "$T/b.tgz" "$MNT/deploy/web" || fail "a group member's cp"
id=$(new_id "$before")
check_success "$id" web "$T/b.tgz"
assert_eq "$(rec "$id" .uid)" 65534 "uid of the group member's deploy"
before=$(ids_all)
as_nobody rsync -a "$T/c.tgz" "$MNT/deploy/web" 2>"$T/rsync.err" ||
	fail "a group member's rsync: $(cat "$T/rsync.err")"
id=$(new_id "$before")
check_success "$id" web "$T/c.tgz"
assert_eq "$(stat -c '%a %u %g' "$MNT/deploy/web")" "664 0 65534" \
	"a deploy does not re-permission the project"

# Payloads carry the project's read bits; record.json is for all.
chmod 660 "$MNT/deploy/web"
as_nobody cat "$MNT/deployments/$id/payload" >/dev/null || fail "group read of a payload"
chmod 600 "$MNT/deploy/web"
expect_fail 'Permission denied' "a payload of a 600 project" \
	as_nobody cat "$MNT/deployments/$id/payload"
as_nobody jq -e .deployment_id "$MNT/deployments/$id/record.json" >/dev/null ||
	fail "record.json is readable by all"
expect_fail 'Permission denied' "rm of a payload without write permission" \
	as_nobody rm -f "$MNT/deployments/$id/payload"

# Owner, group and mode persist across restarts.
stop_daemon
# shellcheck disable=SC2086
start_daemon $OPTS
assert_eq "$(stat -c '%a %u %g' "$MNT/deploy/web")" "600 0 65534" \
	"project attributes after a restart"
finish
