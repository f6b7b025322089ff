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
# dpkg-shlibdeps; clang and its runtime: the fuzzers; clang-format: the
# format check; openssh-server and -client: a throwaway sshd on
# 127.0.0.1 for rsync -e ssh and scp; postgresql-15: the throwaway
# cluster of the PostgreSQL catalog's tests.
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs libcmocka-dev rsync jq xz-utils bzip2 zstd python3 clang
	      clang-format libclang-rt-14-dev man-db groff-base dpkg-dev openssh-server
	      openssh-client postgresql-15"
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

# The tests start their own sshd; installing openssh-server must not leave
# the system's sshd listening on port 22. While apt runs, a policy-rc.d
# that answers 101 ("action forbidden") keeps invoke-rc.d and
# deb-systemd-invoke from starting any service; one that was there before
# is left as it was. Then the ssh units just installed are disabled, so
# no boot starts them either (an sshd installed before is not touched:
# then openssh-server is not missing).
policy=/usr/sbin/policy-rc.d
own_policy=""
case " $missing " in
*" openssh-server "*)
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# scripts/deps.sh: no service starts while it installs\nexit 101\n' |
			$sudo tee "$policy" >/dev/null
		$sudo chmod 0755 "$policy"
		own_policy=1
		trap '$sudo rm -f "$policy"' EXIT
	fi
	;;
esac

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

case " $missing " in
*" openssh-server "*)
	if command -v systemctl >/dev/null; then
		$sudo systemctl disable --quiet ssh.service ssh.socket 2>/dev/null || true
	fi
	if [ -n "$own_policy" ]; then
		$sudo rm -f "$policy"
		trap - EXIT
	fi
	;;
esac
