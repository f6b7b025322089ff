#!/bin/sh
# Install what is missing, build, and mount the default store ./var at ./mnt
# in the foreground until Ctrl-C.
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh -DDEPLOYFS_TESTS=OFF
mkdir -p var mnt
if mountpoint -q mnt; then
	fusermount3 -u mnt || umount -l mnt
fi
echo "deployfs: mounting ./var at ./mnt (Ctrl-C to stop). In another terminal:"
echo "  export PATH=\"$PWD/build/tools:\$PATH\" DEPLOYFS_STORE=\"$PWD/var\" DEPLOYFS_MOUNT=\"$PWD/mnt\""
echo "  tar czf /tmp/app.tar.gz README.md && cp /tmp/app.tar.gz mnt/deploy/myapp"
echo "  ls mnt/deployments && cat mnt/projects/myapp/current/record.json"
echo "  deployctl list"
exec build/fs/deployfs -f var mnt
