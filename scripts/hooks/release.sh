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
set -eu

: "${DEPLOYFS_ID:?run by deployfs}" "${DEPLOYFS_PROJECT:?}"
root=${DEPLOYFS_RELEASE_ROOT:-$DEPLOYFS_STORE/releases/$DEPLOYFS_PROJECT}
release=$root/releases/$DEPLOYFS_ID
staging=$root/releases/.$DEPLOYFS_ID.unpacking

mkdir -p "$root/releases"
rm -rf "$staging"
mkdir "$staging"
trap 'rm -rf "$staging"' EXIT
echo "unpacking $DEPLOYFS_PROJECT $DEPLOYFS_ID into $release"
# From the stored file, not stdin: tar detects the compression of a named
# file only. deployfs checked that no path is absolute or climbs out.
tar -xf "$DEPLOYFS_PAYLOAD" -C "$staging" --no-same-owner
mv "$staging" "$release"
trap - EXIT

# A new link beside the old one, then rename(2) over it: readers see the
# old release or the new one, never a missing or half-made link.
ln -sfn "releases/$DEPLOYFS_ID" "$root/.current.$DEPLOYFS_ID"
mv -T "$root/.current.$DEPLOYFS_ID" "$root/current"
echo "current -> releases/$DEPLOYFS_ID"
