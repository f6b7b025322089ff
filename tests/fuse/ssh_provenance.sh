#!/bin/bash
# A deploy that comes over ssh names its client: `rsync -e ssh` and `scp`
# (both its SFTP default and the legacy protocol, -O) to 127.0.0.1 give
# provenance.ssh_client = "127.0.0.1", read from the SSH_CONNECTION that a
# real sshd set for the process writing the bytes.
#
# The sshd is the test's own: a host key, client key and configuration in
# $T, listening on 127.0.0.1 at a free high port, run with -D -e in the
# background and killed by its pid at exit. Skipped (77) only where no
# sshd is installed (scripts/deps.sh --test installs it).
set -eu
. "$(dirname "$0")/lib.sh" "$@"
CTL=$(realpath "$2")

SSHD=$(command -v sshd || true)
[ -n "$SSHD" ] || SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ]; then
	printf '\n*** SKIP: sshd is not installed (scripts/deps.sh --test):' >&2
	printf ' mount test %s not run ***\n\n' "$TEST_NAME" >&2
	exit 77
fi
for _tool in ssh scp ssh-keygen rsync; do
	command -v "$_tool" >/dev/null ||
		fail "$_tool is not installed (scripts/deps.sh --test)"
done
SFTP_SERVER=
for p in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server \
	/usr/libexec/sftp-server; do
	[ -x "$p" ] && SFTP_SERVER=$p && break
done
[ -n "$SFTP_SERVER" ] ||
	fail "no sftp-server found (scripts/deps.sh --test installs it)"

K=$T/ssh
mkdir -m 0700 "$K"
ssh-keygen -q -t ed25519 -N '' -f "$K/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$K/client_key"
cp "$K/client_key.pub" "$K/authorized_keys"
me=$(id -un)

# Privilege separation needs its empty directory when sshd runs as root;
# the package makes it at boot, which a container may not have had.
if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
	mkdir -m 0755 /run/sshd
	at_exit 'rmdir /run/sshd 2>/dev/null'
fi

sshd_fail() {
	log "sshd's log:"
	sed 's/^/    /' "$K/sshd.log" >&2 || true
	fail "$@"
}

# start_sshd PORT — start sshd on 127.0.0.1:PORT; status 1 when the port
# is taken, fail on anything else. Waits as long as a loaded machine needs.
start_sshd() {
	local port=$1 i
	cat >"$K/sshd_config" <<-EOF
		ListenAddress 127.0.0.1
		Port $port
		HostKey $K/host_key
		PidFile none
		UsePAM no
		StrictModes no
		PermitRootLogin prohibit-password
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		AuthorizedKeysFile $K/authorized_keys
		Subsystem sftp $SFTP_SERVER
		LogLevel VERBOSE
	EOF
	: >"$K/sshd.log"
	"$SSHD" -D -e -f "$K/sshd_config" </dev/null 2>>"$K/sshd.log" &
	SSHD_PID=$!
	for ((i = 0; i < 600; i++)); do
		grep -q "Server listening on 127.0.0.1 port $port" "$K/sshd.log" &&
			return 0
		if ! kill -0 "$SSHD_PID" 2>/dev/null; then
			wait "$SSHD_PID" 2>/dev/null || true
			SSHD_PID=
			grep -qiE 'bind|address already in use' "$K/sshd.log" &&
				return 1
			sshd_fail "sshd exited before listening"
		fi
		sleep 0.1
	done
	sshd_fail "sshd did not listen on port $port within 60 s"
}

SSHD_PID=
for ((try = 0; try < 20; try++)); do
	PORT=$((20000 + RANDOM % 40000))
	start_sshd "$PORT" && break
done
[ -n "$SSHD_PID" ] || sshd_fail "no free port for sshd after 20 tries"
bg_pid "$SSHD_PID"
log "sshd $SSHD_PID listens on 127.0.0.1:$PORT"

SSH_OPTS=(-F /dev/null -i "$K/client_key" -o IdentitiesOnly=yes
	-o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
	-o ConnectTimeout=60)
SSH_CMD="ssh -p $PORT ${SSH_OPTS[*]}"
out=$(ssh -p "$PORT" "${SSH_OPTS[@]}" "$me@127.0.0.1" \
	'printf "%s\n" "$SSH_CONNECTION"') ||
	sshd_fail "cannot log in to 127.0.0.1:$PORT as $me with the test's key"
assert_match "$out" "^127\\.0\\.0\\.1 [0-9]+ 127\\.0\\.0\\.1 $PORT\$" \
	"SSH_CONNECTION in an ssh session"

start_daemon

# deploy_over_ssh EXE WHAT CMD... — CMD deploys $T/app.tgz to
# deploy/web over ssh; its record is a success from 127.0.0.1, written
# by EXE.
deploy_over_ssh() {
	local exe=$1 what=$2 before id
	shift 2
	make_tgz "$T/app.tgz"
	before=$(ids_all)
	"$@" || sshd_fail "$what: '$*' exits $?"
	id=$(new_id "$before")
	check_success "$id" web "$T/app.tgz"
	assert_eq "$(rec "$id" .provenance.ssh_client)" 127.0.0.1 \
		"$what: provenance.ssh_client"
	assert_eq "$(rec "$id" .provenance.exe)" "$exe" "$what: provenance.exe"
	assert_eq "$(rec "$id" .user)" "$me" "$what: user"
}

deploy_over_ssh "$(realpath "$(command -v rsync)")" "rsync -e ssh" \
	rsync -e "$SSH_CMD" "$T/app.tgz" "$me@127.0.0.1:$MNT/deploy/web"
deploy_over_ssh "$(realpath "$SFTP_SERVER")" "scp (SFTP)" \
	scp -P "$PORT" "${SSH_OPTS[@]}" "$T/app.tgz" "$me@127.0.0.1:$MNT/deploy/web"
deploy_over_ssh "$(realpath "$(command -v scp)")" "scp -O" \
	scp -O -P "$PORT" "${SSH_OPTS[@]}" "$T/app.tgz" "$me@127.0.0.1:$MNT/deploy/web"

# A deploy made here, not over ssh, names no client.
make_tgz "$T/local.tgz"
before=$(ids_all)
env -i PATH="$PATH" cp "$T/local.tgz" "$MNT/deploy/web"
id=$(new_id "$before")
assert_eq "$(rec "$id" .provenance.ssh_client)" null "a local cp: ssh_client"

# The table shows where each came from.
"$CTL" --store "$STORE" list --project web -o NAME,SSH_CLIENT,EXE >"$T/list.out"
assert_eq "$(grep -c ' 127\.0\.0\.1 ' "$T/list.out")" 3 \
	"list -o SSH_CLIENT: the three deploys over ssh"
finish
