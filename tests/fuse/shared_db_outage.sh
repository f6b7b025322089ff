#!/bin/bash
# DESIGN "Many hosts": when the database stops, a deploy fails (cp exits
# non-zero, EIO) and the daemon says so in its log; payloads a host has
# read before (its cache holds them, its daemon saw their records) still
# read there, with their record.json and the links to them; what it never
# read fails with EIO. When the database is back, the daemon reconnects by
# itself and everything works again. No local queue: what failed stays
# failed. This test runs its own cluster, as it stops it.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
CLUSTER=$(dirname "$0")/../pg/cluster.sh
"$CLUSTER" start "$T/pg" >/dev/null || exit 77
at_exit "'$CLUSTER' stop '$T/pg'"
DEPLOYFS_PG_CONNINFO_FILE=$T/pg/conninfo
. "$(dirname "$0")/pglib.sh"
start_host_a
start_host_b

make_tgz "$T/a.tgz"
cp "$T/a.tgz" "$MNT/deploy/web" || fail "cp before the outage"
ID=$(basename "$(link_target "$MNT/projects/web/current")")
make_tgz "$T/u.tgz"
cp "$T/u.tgz" "$MNT/deploy/api" || fail "cp of api before the outage"
UID_=$(basename "$(link_target "$MNT/projects/api/current")")
# Permissions come from the project, as last read: api is root's, 0600.
PERM=no
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	PERM=yes
	chmod 0600 "$MNT/deploy/api"
	chmod 711 "$T"
fi
# Host b reads web's payload (now in its cache) and record; of api it
# only sees the record, never the payload.
cmp "$MNT_B/deployments/$ID/payload" "$T/a.tgz" || fail "read on b"
jq -e .status "$MNT_B/deployments/$ID/record.json" >/dev/null ||
	fail "record.json on b"
readlink "$MNT_B/projects/web/current" >/dev/null || fail "current on b"
test -f "$MNT_B/deploy/web" || fail "deploy/web on b"
test -f "$MNT_B/deployments/$UID_/payload" || fail "api's payload on b"
"$CLUSTER" halt "$T/pg"
make_tgz "$T/b.tgz"
expect_fail 'Input/output error' "cp with the database stopped" \
	cp "$T/b.tgz" "$MNT/deploy/web"
expect_fail 'Input/output error' "cp on b with the database stopped" \
	cp "$T/b.tgz" "$MNT_B/deploy/web"
wait_until 20 grep -q "catalog unreachable" "$DAEMON_ERR" ||
	fail "no log line about the unreachable catalog"
wait_until 20 grep -q "catalog unreachable" "$B_ERR" ||
	fail "no log line about the unreachable catalog on b"
# What b read before still reads, from its cache, checked as usual.
cat "$MNT_B/deployments/$ID/payload" | cmp - "$T/a.tgz" ||
	fail "a cached payload does not read on b during the outage"
assert_eq "$(jq -r .deployment_id "$MNT_B/deployments/$ID/record.json")" "$ID" \
	"record.json on b during the outage"
assert_eq "$(basename "$(link_target "$MNT_B/projects/web/current")")" "$ID" \
	"current on b during the outage"
cmp "$MNT_B/deploy/web" "$T/a.tgz" || fail "deploy/web on b during the outage"
# What b never read does not.
expect_fail 'Input/output error' "a payload b never read" \
	cat "$MNT_B/deployments/$UID_/payload"
if [ $PERM = yes ]; then
	expect_fail 'Permission denied' "another uid, cached project mode" \
		setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		cat "$MNT_B/deployments/$UID_/payload"
fi

"$CLUSTER" resume "$T/pg"
wait_until 20 grep -q "catalog reachable again" "$DAEMON_ERR" ||
	fail "the daemon did not reconnect"
wait_until 20 grep -q "catalog reachable again" "$B_ERR" ||
	fail "host b did not reconnect"
make_tgz "$T/c.tgz"
cp "$T/c.tgz" "$MNT/deploy/web" || fail "cp after the outage"
assert_cmp "$MNT/deploy/web" "$T/c.tgz" "current after the outage"
assert_cmp "$MNT_B/deploy/web" "$T/c.tgz" "current on b after the outage"
cmp "$MNT_B/deployments/$UID_/payload" "$T/u.tgz" ||
	fail "api's payload on b after the outage"
assert_eq "$(ls "$MNT/status/success" | wc -l)" 3 "successes"
finish
