#!/bin/bash
# deployfs mounts through mount.fuse3 as /etc/fstab does it, with
# nosuid,nodev and the options only mount(8) and systemd read (_netdev,
# noauto, x-systemd.*, comment=), which must not break it:
#  1. mount.fuse3 TYPE#STORE MNT -o … called by hand, which hands every
#     option to the daemon;
#  2. as root, the README's fstab line, type fuse.deployfs, through
#     mount(8) — in a private mount namespace where deployfs is on the
#     search path mount.fuse3 uses (it runs the type as a command).
# The daemon detaches itself; it is found by its unique store path.
. "$(dirname "$0")/lib.sh" "$@"

command -v mount.fuse3 >/dev/null || fail "mount.fuse3 is not installed (fuse3)"
OPTS=nosuid,nodev,_netdev,noauto,x-systemd.automount,x-systemd.mount-timeout=30,comment=deployfs

# The pids of daemons serving $STORE: only this test's (the path is ours).
store_daemons() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF "$STORE" &&
			echo "${p#/proc/}"
	done
	return 0
}
stop_detached() {
	local p i
	unmount_fuse "$MNT"
	for ((i = 0; i < 100; i++)); do
		[ -z "$(store_daemons)" ] && return 0
		sleep 0.1
	done
	for p in $(store_daemons); do
		log "daemon $p still running 10 s after unmount: SIGKILL"
		kill -KILL "$p" 2>/dev/null || true
	done
	return 1
}
at_exit stop_detached

check_mount() { # WHAT — mounted with nosuid,nodev; a deploy works
	local line
	line=$(awk -v m="$MNT" '$2 == m' /proc/self/mounts)
	assert_match "$line" "^[^ ]+ $MNT fuse\\.deployfs " "$1: the mount"
	assert_match "$line" "[ ,]nosuid[ ,]" "$1: nosuid"
	assert_match "$line" "[ ,]nodev[ ,]" "$1: nodev"
	make_tgz "$T/$1.tgz"
	deploy_ok "$T/$1.tgz" web
	check_success "$ID" web "$T/$1.tgz"
	stop_detached || fail "$1: the daemon did not exit after the unmount"
}

# 1. By hand: mount.fuse3 hands x-systemd.* and comment= to the daemon.
run mount.fuse3 "$DEPLOYFS#$STORE" "$MNT" -o "$OPTS"
[ "$RC" -eq 0 ] || fail "mount.fuse3 -o $OPTS failed (status $RC): $ERRTXT"
check_mount by-hand

# 2. The README's line, through mount(8) and an fstab.
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	log "not root (or no unshare): the fstab line through mount(8) is not tried"
	finish
fi
mkdir "$T/sbin"
ln -s "$DEPLOYFS" "$T/sbin/deployfs"
printf '%s %s fuse.deployfs %s,allow_other,default_permissions 0 0\n' \
	"$STORE" "$MNT" "$OPTS" >"$T/fstab"
make_tgz "$T/fstab.tgz"
# The mount lives in that namespace, and so does everything done with it.
# shellcheck disable=SC2016
run unshare --mount --propagation private bash -c '
	set -eu
	sbin=$1 fstab=$2 mnt=$3 tgz=$4
	mount --bind "$sbin" /usr/local/sbin
	trap "umount -l \"$mnt\" 2>/dev/null || true" EXIT
	mount -T "$fstab" "$mnt"
	awk -v m="$mnt" "\$2 == m" /proc/self/mounts
	cp "$tgz" "$mnt/deploy/web"
	jq -r ".status, .payload_hash" "$mnt/projects/web/current/record.json"
	umount "$mnt"
	' fstab "$T/sbin" "$T/fstab" "$MNT" "$T/fstab.tgz"
[ "$RC" -eq 0 ] || fail "the fstab line through mount(8) failed (status $RC): $ERRTXT"
mapfile -t out <"$T/run.out"
assert_match "${out[0]}" "^[^ ]+ $MNT fuse\\.deployfs [^ ]*nosuid,nodev" "fstab: the mount"
assert_eq "${out[1]}" success "fstab: the deploy's status"
assert_eq "${out[2]}" "$(sha "$T/fstab.tgz")" "fstab: the deploy's hash"
stop_detached || fail "fstab: the daemon did not exit after the unmount"
finish
