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
# dpkg-shlibdeps; clang and its runtime: the fuzzers; clang-format: the
# format check; openssh-server and -client: a throwaway sshd on
# 127.0.0.1 for rsync -e ssh and scp.
if [ "$1" = "--test" ]; then
	pkgs="$pkgs libcmocka-dev rsync jq xz-utils bzip2 zstd python3 clang
	      clang-format libclang-rt-14-dev man-db groff-base dpkg-dev openssh-server
	      openssh-client"
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
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing

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
