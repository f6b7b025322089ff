# tests/fuse/fleetlib.sh — sourced after lib.sh and pglib.sh by the fleet
# mount tests: host a ($MNT) is the build host; hosts b and c follow
# project web with scripts/hooks/release.sh as their hook, each with its
# own release root ($ROOT_B, $ROOT_C).
#
#   start_follower_b|c [OPTION...]   start it (hook, follow=web)
#   stop_follower_c, kill_follower_c unmount and stop / SIGKILL host c
#   delivery NODE ID FIELD           a field of the delivery, from the catalog
#   deliveries_of ID STATUS          how many deliveries of ID have STATUS
#   DEPLOYCTL                        the deployctl binary (the second argument)

DEPLOYCTL=$(realpath "$2")
RELEASE_HOOK=$(realpath "$(dirname "$0")/../../scripts/hooks/release.sh")
ROOT_B=$T/srv_b
ROOT_C=$T/srv_c
STORE_C=$T/store_c
MNT_C=$T/mnt_c
mkdir "$MNT_C"
CPID=
C_ERR=$T/daemon_c.err
: >"$C_ERR"

start_follower_b() {
	DEPLOYFS_RELEASE_ROOT=$ROOT_B start_host_b \
		-o "follow=web,hook=${HOOK_B:-$RELEASE_HOOK},hook_timeout=60" "$@"
}

start_follower_c() {
	DEPLOYFS_RELEASE_ROOT=$ROOT_C env --default-signal=INT "$DEPLOYFS" -f \
		-o "catalog=$CATALOG,node=host-c" \
		-o "follow=web,hook=${HOOK_C:-$RELEASE_HOOK},hook_timeout=60" "$@" \
		"$STORE_C" "$MNT_C" </dev/null >/dev/null 2>>"$C_ERR" &
	CPID=$!
	EXTRA_MNTS+=("$MNT_C")
	wait_until 10 mountpoint -q "$MNT_C" ||
		{ cat "$C_ERR" >&2; fail "host c did not mount $MNT_C"; }
	at_exit stop_follower_c
}

stop_follower_c() {
	unmount_fuse "$MNT_C"
	[ -n "$CPID" ] || return 0
	wait_until 5 eval '! child_running $CPID' ||
		{ kill -TERM "$CPID" 2>/dev/null || true; }
	wait "$CPID" 2>/dev/null || true
	CPID=
}

kill_follower_c() {
	[ -n "$CPID" ] && child_running "$CPID" || fail "kill_follower_c: not running"
	kill -KILL "$CPID"
	wait "$CPID" 2>/dev/null || true
	CPID=
	fusermount3 -uz "$MNT_C" 2>/dev/null || umount -l "$MNT_C" 2>/dev/null || true
}

status_code() {
	case $1 in
	pending) echo 0 ;; success) echo 1 ;; failed) echo 2 ;;
	superseded) echo 3 ;; interrupted) echo 4 ;;
	esac
}

# The catalog itself, so these hold whatever the tree shows.
delivery() {
	psql -XAtq "$CATALOG" -c "SELECT $3 FROM deployfs.deliveries \
		WHERE id = '$2' AND node = '$1'"
}
deliveries_of() {
	psql -XAtq "$CATALOG" -c "SELECT count(*) FROM deployfs.deliveries \
		WHERE id = '$1' AND status = $(status_code "$2")"
}
# deliveries_are ID STATUS N — for wait_until.
deliveries_are() { [ "$(deliveries_of "$1" "$2")" = "$3" ]; }
