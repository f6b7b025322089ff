#!/bin/sh
# Install the Debian packages deployfs needs to build, run and test.
# Only what is missing is installed; apt-get update runs at most once.
# Usage: scripts/deps.sh [--test]
set -e

pkgs="build-essential cmake pkg-config libfuse3-dev fuse3 liblmdb-dev
      libssl-dev uuid-dev libjansson-dev libarchive-dev zlib1g-dev
      liblzma-dev libzstd-dev libbz2-dev libsmartcols-dev libsystemd-dev
      libpq-dev"
# python3: hostile archives, a service manager's notify socket; man-db,
# groff-base: man -l of the installed pages; dpkg-dev: cpack's
# dpkg-shlibdeps; clang and its runtime: the fuzzers; postgresql-15: the
# throwaway cluster of the PostgreSQL catalog's tests.
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs libcmocka-dev rsync jq xz-utils bzip2 zstd python3 clang
	      libclang-rt-14-dev man-db groff-base dpkg-dev postgresql-15"
fi

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=""
for p in $pkgs; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
apt_install() {
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "$@"
}
$sudo apt-get update -qq

# The server package creates and starts a "main" cluster on its first
# install unless postgresql-common's createcluster.conf says not to; the
# tests start a throwaway cluster of their own (tests/pg/cluster.sh), so
# postgresql-common goes first and the setting is written before the
# server package is configured. A cluster that exists already is left
# alone.
case " $missing " in
*" postgresql-15 "*)
	installed postgresql-common || apt_install postgresql-common
	conf=/etc/postgresql-common/createcluster.conf
	$sudo sed -i '/^[[:space:]]*create_main_cluster[[:space:]]*=/d' "$conf"
	echo "create_main_cluster = false" | $sudo tee -a "$conf" >/dev/null
	;;
esac
apt_install $missing
