#!/bin/sh
# Example deployfs hook: unpack each deployment into its own release
# directory and switch a `current` symlink to it atomically, the way release
# directories are usually managed:
#
#   $DEPLOYFS_RELEASE_ROOT/releases/<deployment id>/   the unpacked payload
#   $DEPLOYFS_RELEASE_ROOT/current -> releases/<id>    the live release
#
# DEPLOYFS_RELEASE_ROOT defaults to $DEPLOYFS_STORE/releases/$DEPLOYFS_PROJECT.
# Use it with:  deployfs -o hook=/path/to/release.sh[,hook_wait] STORE MNT
# (or copy it to STORE/hooks/<project> for one project).
#
# The payload arrives on stdin (and at $DEPLOYFS_PAYLOAD); whatever this
# prints lands in deployments/<id>/log. Exiting non-zero fails the
# deployment and leaves `current` where it was.
#
# It trusts the archive no more than it must, even if deployfs's own check
# were bypassed: an archive holding a device node, a FIFO, a socket or a
# setuid/setgid entry is refused before anything is unpacked; files are
# unpacked as the hook's user with the hook's umask (never the archive's
# owners or special mode bits), and the unpacked tree is scanned again
# for special files before it can become a release.
set -eu
umask 022

: "${DEPLOYFS_ID:?run by deployfs}" "${DEPLOYFS_PROJECT:?}"
root=${DEPLOYFS_RELEASE_ROOT:-$DEPLOYFS_STORE/releases/$DEPLOYFS_PROJECT}
release=$root/releases/$DEPLOYFS_ID
staging=$root/releases/.$DEPLOYFS_ID.unpacking
listing=$root/releases/.$DEPLOYFS_ID.listing

refuse() {
	echo "refused: $*" >&2
	exit 1
}

mkdir -p "$root/releases"
rm -rf "$staging"
mkdir "$staging"
trap 'rm -rf "$staging" "$listing"' EXIT

# From the stored file, not stdin: tar detects the compression of a named
# file only. deployfs checked that no path is absolute or climbs out.
# 1. The listing: the first letter is the entry's type (c, b: devices,
#    p: FIFO, s: socket); an s or S at the owner's or group's execute
#    place is setuid or setgid. tar escapes control bytes in names, so
#    every line is one entry.
LC_ALL=C tar -tvf "$DEPLOYFS_PAYLOAD" >"$listing" ||
	refuse "tar cannot list the payload"
bad=$(LC_ALL=C awk '
	/^[cbps]/ { print "special file: " $0; next }
	substr($0, 4, 1) ~ /[sS]/ { print "setuid entry: " $0; next }
	substr($0, 7, 1) ~ /[sS]/ { print "setgid entry: " $0; next }
' "$listing" | head -n 5)
[ -z "$bad" ] || refuse "$bad"

echo "unpacking $DEPLOYFS_PROJECT $DEPLOYFS_ID into $release"
# 2. Unpack as ourselves: owners and modes (less the umask) are ours.
tar -xf "$DEPLOYFS_PAYLOAD" -C "$staging" --no-same-owner \
	--no-same-permissions
# 3. Whatever the listing missed, the tree shows (a directory's setgid
#    bit may come from the release root's own, by inheritance: not ours).
bad=$(find "$staging" \( -type b -o -type c -o -type p -o -type s \
	-o \( ! -type d -perm /6000 \) \) -print | head -n 5)
[ -z "$bad" ] || refuse "special files or setuid/setgid bits unpacked: $bad"
mv "$staging" "$release"
trap - EXIT
rm -f "$listing"

# A new link beside the old one, then rename(2) over it: readers see the
# old release or the new one, never a missing or half-made link.
ln -sfn "releases/$DEPLOYFS_ID" "$root/.current.$DEPLOYFS_ID"
mv -T "$root/.current.$DEPLOYFS_ID" "$root/current"
echo "current -> releases/$DEPLOYFS_ID"
