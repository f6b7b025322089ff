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
new_host C

start_follower_b() {
	DEPLOYFS_RELEASE_ROOT=$ROOT_B start_host_b \
		-o "follow=web,hook=${HOOK_B:-$RELEASE_HOOK},hook_timeout=60" "$@"
}

start_follower_c() {
	DEPLOYFS_RELEASE_ROOT=$ROOT_C start_host C host-c \
		-o "follow=web,hook=${HOOK_C:-$RELEASE_HOOK},hook_timeout=60" "$@"
}

stop_follower_c() { stop_host C; }
kill_follower_c() { kill_host C; }

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
