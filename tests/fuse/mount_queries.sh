#!/bin/bash
# A user who cannot open the store (it is 0700) asks through the mount:
# deployctl --mount gives the store's answers (list --json, show, names,
# audit --follow), and what the user's permissions allow works through
# the tree: rollback, pin and unpin by the project's owner; another user
# is refused.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
CTL=$(realpath "$2")
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	printf '\n*** SKIP: acting as other users needs root and setpriv ***\n\n' >&2
	exit 77
fi
UA=65534 # the project's owner
UB=65533 # another user
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups -- env -u DEPLOYFS_STORE "$@"
}
chmod 755 "$T"
mkdir "$T/a"
chown "$UA" "$T/a"
start_daemon -o allow_other,default_permissions
for i in 1 2 3; do make_tgz "$T/w$i.tgz" $((60 + i)); done
chmod 644 "$T"/*.tgz
for i in 1 2 3; do
	as $UA sh -c "umask 022; cp '$T/w$i.tgz' '$MNT/deploy/web'" ||
		fail "A cannot deploy web"
done
cp "$T/w1.tgz" "$MNT/deploy/other" # root's project

# The store is closed to them; the mount answers the same.
expect_fail 'Permission denied' "A opens the store" as $UA "$CTL" --store "$STORE" gc --dry-run
"$CTL" --store "$STORE" list --project web --json >"$T/root.json"
as $UA "$CTL" --mount "$MNT" list --project web --json >"$T/a.json" ||
	fail "list through the mount"
assert_cmp "$T/a.json" "$T/root.json" "list --project web --json through the mount"
assert_eq "$(jq .total "$T/a.json")" 3 "total through the mount"
"$CTL" --store "$STORE" list --limit 2 -o NAME,STATUS,MARKS,USER >"$T/root.txt"
as $UA "$CTL" --mount "$MNT" list --limit 2 -o NAME,STATUS,MARKS,USER >"$T/a.txt"
assert_cmp "$T/a.txt" "$T/root.txt" "list table through the mount"
"$CTL" --store "$STORE" list --since 1h --status success --json >"$T/root.json"
as $UA "$CTL" --mount "$MNT" list --since 1h --status success --json >"$T/a.json"
assert_cmp "$T/a.json" "$T/root.json" "list --since 1h --status success"
# The store given but not readable: the mount named by $DEPLOYFS_MOUNT.
as $UA env DEPLOYFS_MOUNT="$MNT" "$CTL" --store "$STORE" show web@2 >"$T/a.show" ||
	fail "show web@2 with an unreadable store"
"$CTL" --store "$STORE" show web@2 >"$T/root.show"
assert_cmp "$T/a.show" "$T/root.show" "show web@2"
v1=$("$CTL" --store "$STORE" show web@1 | jq -r .deployment_id)
as $UA "$CTL" --mount "$MNT" show "${v1:0:24}" >"$T/a.show" || fail "show by prefix"
assert_eq "$(jq -r .version "$T/a.show")" 1 "show by prefix"
expect_fail 'no deployment' "a missing version" as $UA "$CTL" --mount "$MNT" show web@9
as $UA "$CTL" --mount "$MNT" payload web@current -o "$T/a/payload" || fail "payload"
assert_cmp "$T/a/payload" "$T/w3.tgz" "payload web@current through the mount"

# Rollback by the owner, through deploy/web.
as $UA env DEPLOYFS_MOUNT="$MNT" "$CTL" rollback web web@1 >"$T/rb.out" ||
	fail "rollback by the owner: $(cat "$T/rb.out")"
assert_match "$(cat "$T/rb.out")" ' success$' "rollback output"
assert_eq "$("$CTL" --store "$STORE" show web@4 | jq -r .rollback_of)" "$v1" "rollback_of"
assert_cmp "$MNT/deploy/web" "$T/w1.tgz" "deploy/web after the rollback"
expect_fail 'write permission' "B rolls back web" \
	as $UB "$CTL" --mount "$MNT" rollback web web@2

# Pin and unpin: the owner may, another user may not.
as $UA "$CTL" --mount "$MNT" pin web@2 >/dev/null || fail "pin by the owner"
assert_eq "$(rec "$(jq -r .deployment_id "$T/root.show")" .pinned)" true "pinned"
run as $UB "$CTL" --mount "$MNT" unpin web@2
assert_eq "$RC" 1 "unpin by another user: exit status"
assert_match "$ERRTXT" 'permission denied' "unpin by another user"
expect_fail 'permission denied' "B pins other" as $UB "$CTL" --mount "$MNT" pin other@1
as $UA "$CTL" --mount "$MNT" unpin web@2 >/dev/null || fail "unpin by the owner"
assert_eq "$(rec "$(jq -r .deployment_id "$T/root.show")" .pinned)" false "unpinned"
n=$("$CTL" --store "$STORE" audit --json | jq -r 'select(.action == "pinned" or .action == "unpinned") | "\(.action) \(.uid)"' | tr '\n' ' ')
assert_eq "$n" "pinned $UA unpinned $UA " "pin events, in the owner's name"

# drop-payload: refused to another user, done for the owner.
expect_fail 'permission denied' "B drops" as $UB "$CTL" --mount "$MNT" drop-payload web@1
as $UA "$CTL" --mount "$MNT" drop-payload web@1 >/dev/null || fail "drop by the owner"
assert_eq "$(rec "$v1" .payload_blob_present)" false "dropped"

# audit through the mount: the same events, and --follow sees a new one.
"$CTL" --store "$STORE" audit --json >"$T/root.audit"
as $UA "$CTL" --mount "$MNT" audit --json >"$T/a.audit"
assert_cmp "$T/a.audit" "$T/root.audit" "audit --json through the mount"
as $UA "$CTL" --mount "$MNT" audit --follow --json >"$T/follow.out" 2>&1 &
fpid=$!
bg_pid $fpid
wait_until 10 test -s "$T/follow.out" || fail "audit --follow printed nothing"
before=$(wc -l <"$T/follow.out")
as $UA cp "$T/w2.tgz" "$MNT/deploy/web"
wait_until 10 sh -c "[ \$(wc -l <'$T/follow.out') -ge $((before + 2)) ]" ||
	fail "audit --follow through the mount did not print the new deploy"
kill "$fpid"
wait "$fpid" 2>/dev/null || true

# --mount names a deployfs tree; maintenance needs the store itself.
expect_fail 'not a deployfs mount' "a plain directory" "$CTL" --mount "$T" list
expect_fail 'needs the store itself' "gc through a mount" "$CTL" --mount "$MNT" gc
finish
