#!/bin/sh
# Install the Debian packages deployfs needs to build, run and test.
# Only what is missing is installed; apt-get update runs at most once.
# Usage: scripts/deps.sh [--test]
set -e

pkgs="build-essential cmake pkg-config libfuse3-dev fuse3 liblmdb-dev
      libssl-dev uuid-dev libjansson-dev libarchive-dev zlib1g-dev
      liblzma-dev libzstd-dev libbz2-dev libsmartcols-dev libsystemd-dev"
# python3: hostile archives, a service manager's notify socket; man-db,
# groff-base: man -l of the installed pages; dpkg-dev: cpack's
# dpkg-shlibdeps; clang and its runtime: the fuzzers.
if [ "$1" = "--test" ]; then
	pkgs="$pkgs libcmocka-dev rsync jq xz-utils bzip2 zstd python3 clang
	      libclang-rt-14-dev man-db groff-base dpkg-dev"
fi

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
