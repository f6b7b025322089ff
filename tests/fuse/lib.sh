# tests/fuse/lib.sh — sourced by every mount test; not run on its own.
#
#   . "$(dirname "$0")/lib.sh" "$@"     # $1: the deployfs binary
#   start_daemon
#
# Makes a private temp dir $T (under $DEPLOYFS_TEST_TMPDIR, else $TMPDIR,
# else /var/tmp, which is disk-backed where /tmp may be a small tmpfs)
# holding $STORE (left for the daemon to create, as the contract says) and
# $MNT. The EXIT trap kills the background writers a test registered with
# bg_pid, unmounts, stops the one daemon this file started (by its pid,
# never by name), runs the test's own cleanup hooks (at_exit), and removes
# $T unless something is still mounted under it. DEPLOYFS_TEST_KEEP=1
# keeps $T of a failed test for a post-mortem.
#
# Exit status: 0 pass, 1 fail, 77 skip (only when /dev/fuse is missing).

set -Eeuo pipefail
export LC_ALL=C TZ=UTC

TEST_NAME=$(basename "$0" .sh)

log() { printf '[%s +%ss] %s\n' "$TEST_NAME" "$SECONDS" "$*" >&2; }
fail() {
	printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

if [ ! -e /dev/fuse ]; then
	printf '\n*** SKIP: /dev/fuse missing: mount test %s not run ***\n\n' \
		"$TEST_NAME" >&2
	exit 77
fi

[ $# -ge 1 ] || fail "usage: $0 PATH/TO/deployfs"
[ -f "$1" ] && [ -x "$1" ] ||
	fail "daemon binary '$1' is missing or not executable (build first)"
DEPLOYFS=$(realpath "$1")
for _tool in fusermount3 mountpoint jq sha256sum cmp tar gzip; do
	command -v "$_tool" >/dev/null ||
		fail "$_tool is not installed (scripts/deps.sh --test)"
done

T=$(mktemp -d "${DEPLOYFS_TEST_TMPDIR:-${TMPDIR:-/var/tmp}}/deployfs-$TEST_NAME.XXXXXX")
STORE=$T/store
MNT=$T/mnt
mkdir "$MNT"
DAEMON_ERR=$T/daemon.err
: >"$DAEMON_ERR"
DPID=
BG_PIDS=()
EXTRA_MNTS=()
CLEANUP_HOOKS=()
SOFT_FAILS=0

# The sanitizer build's reports (AddressSanitizer, LeakSanitizer, UBSan).
SANITIZER_ERE='ERROR: [A-Za-z]+Sanitizer|runtime error:'
sanitizer_report() { grep -q -E "$SANITIZER_ERE" "$DAEMON_ERR"; }

daemon_stderr() {
	local first
	if sanitizer_report; then
		first=$(grep -n -m 1 -E "$SANITIZER_ERE" "$DAEMON_ERR" | cut -d: -f1)
		echo "--- sanitizer report in daemon stderr ($DAEMON_ERR) ---"
		tail -n "+$((first > 2 ? first - 2 : 1))" "$DAEMON_ERR" | head -n 80
		echo "--- end of sanitizer report ---"
	elif [ -s "$DAEMON_ERR" ]; then
		echo "--- daemon stderr (last 40 lines of $DAEMON_ERR) ---"
		tail -n 40 "$DAEMON_ERR"
		echo "--- end of daemon stderr ---"
	else
		echo "(daemon stderr is empty)"
	fi
}

# Whether $1 is a mount point, by /proc (works for a dead FUSE mount too).
is_mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/self/mounts
}

unmount_fuse() {
	is_mounted "$1" || return 0
	fusermount3 -u "$1" 2>/dev/null || fusermount3 -uz "$1" 2>/dev/null ||
		umount -l "$1" 2>/dev/null || log "warning: cannot unmount $1"
}

# Whether PID is a child of this shell that is still running (not a
# zombie). Bash reaps exited children itself, and after that their pid may
# belong to anyone: never signal a pid that this does not vouch for.
child_running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) } # fields after "pid (comm) ": state ppid ...
	# shellcheck disable=SC2086
	set -- $st
	[ "$1" != Z ] && [ "$2" = "$$" ]
}

# Stop the daemon this file started: unmount (a -f daemon then exits by
# itself), then TERM, then KILL, only ever $DPID. Returns 1 (with a
# message) when the daemon did not exit cleanly: a status other than 0
# (the sanitizer build exits non-zero on a leak), or a sanitizer report
# in its stderr.
stop_daemon() {
	unmount_fuse "$MNT"
	local i st=0 killed=0
	[ -n "$DPID" ] || { daemon_clean 0 0; return; }
	for ((i = 0; i < 50; i++)); do
		child_running "$DPID" || break
		sleep 0.1
	done
	if child_running "$DPID"; then
		log "daemon $DPID still running 5 s after unmount: SIGTERM"
		kill -TERM "$DPID" 2>/dev/null || true
		for ((i = 0; i < 30; i++)); do
			child_running "$DPID" || break
			sleep 0.1
		done
		if child_running "$DPID"; then
			kill -KILL "$DPID" 2>/dev/null
			killed=1
		fi
	fi
	wait "$DPID" 2>/dev/null || st=$?
	DPID=
	daemon_clean "$st" "$killed"
}

# daemon_clean STATUS KILLED — the verdict of stop_daemon.
daemon_clean() {
	if sanitizer_report; then
		printf '[%s] FAIL: the daemon reported a sanitizer error\n' \
			"$TEST_NAME" >&2
		return 1
	fi
	if [ "$2" -eq 0 ] && [ "$1" -ne 0 ]; then
		printf '[%s] FAIL: the daemon exited with status %s\n' \
			"$TEST_NAME" "$1" >&2
		return 1
	fi
	return 0
}

cleanup() {
	local rc=$? p i
	set +e
	trap - ERR
	for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		child_running "$p" && kill -KILL "$p" 2>/dev/null
	done
	for p in ${BG_PIDS[@]+"${BG_PIDS[@]}"}; do
		wait "$p" 2>/dev/null
	done
	stop_daemon || rc=1
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		daemon_stderr >&2
	fi
	for p in ${EXTRA_MNTS[@]+"${EXTRA_MNTS[@]}"}; do
		unmount_fuse "$p"
	done
	for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_HOOKS[i]}"
	done
	if awk -v t="$T/" 'index($2, t) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		log "warning: something is still mounted under $T; not removing it"
	elif [ "$rc" -ne 0 ] && [ "${DEPLOYFS_TEST_KEEP:-0}" = 1 ]; then
		log "keeping $T for inspection"
	else
		rm -rf --one-file-system "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'log "unexpected failure (status $?) at line $LINENO: $BASH_COMMAND"' ERR

# Register a background writer to kill in the EXIT trap.
bg_pid() { BG_PIDS+=("$1"); }
# Register a shell command to run at exit, after the daemon is stopped.
at_exit() { CLEANUP_HOOKS+=("$1"); }

# start_daemon [OPTION...] — start `deployfs -f OPTION... $STORE $MNT` in
# the background, set $DPID to its pid, and wait (10 s at most) until $MNT
# is mounted and answers.
start_daemon() {
	[ -z "$DPID" ] || fail "start_daemon: daemon $DPID already running"
	# A shell starts background commands with SIGINT ignored; the daemon
	# gets it as from a terminal's ^C (env execs it: $! is its pid).
	env --default-signal=INT "$DEPLOYFS" -f "$@" "$STORE" "$MNT" \
		</dev/null >>"$T/daemon.out" 2>>"$DAEMON_ERR" &
	DPID=$!
	local i rc
	for ((i = 0; i < 100; i++)); do
		if mountpoint -q "$MNT" && ls "$MNT/deploy" >/dev/null 2>&1; then
			child_running "$DPID" || fail "mounted, but daemon pid $DPID" \
				"has exited (did it fork despite -f?)"
			return 0
		fi
		if ! child_running "$DPID"; then
			rc=0
			wait "$DPID" || rc=$?
			DPID=
			fail "daemon exited with status $rc before mounting $MNT" \
				"(see its stderr below)"
		fi
		sleep 0.1
	done
	fail "daemon (pid $DPID) did not mount $MNT within 10 s (see its stderr below)"
}

# kill_daemon_hard — what a crash looks like: SIGKILL the daemon, then
# detach its dead mount.
kill_daemon_hard() {
	[ -n "$DPID" ] && child_running "$DPID" || fail "kill_daemon_hard: no daemon running"
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=
	fusermount3 -uz "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	is_mounted "$MNT" && fail "cannot detach the dead mount $MNT"
	return 0
}

# restart_daemon — kill -9 the daemon and start a new one on the same store.
restart_daemon() {
	kill_daemon_hard
	start_daemon "$@"
}

# --- assertions -------------------------------------------------------

assert_eq() { # GOT WANT WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}
assert_match() { # GOT ERE WHAT
	[[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/"
}
assert_cmp() { # FILE1 FILE2 WHAT
	cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"
}
# A check that is in the contract but not in the acceptance list: report
# it, carry on, and fail at finish.
soft_fail() {
	printf '[%s] FAIL (continuing): %s\n' "$TEST_NAME" "$*" >&2
	SOFT_FAILS=$((SOFT_FAILS + 1))
}
soft_eq() { # GOT WANT WHAT
	[ "$1" = "$2" ] || soft_fail "$3: expected '$2', got '$1'"
}
finish() {
	[ "$SOFT_FAILS" -eq 0 ] || fail "$SOFT_FAILS check(s) failed above"
	log "PASS"
	exit 0
}

# run CMD... — run a command expected to fail; sets RC, and its output is
# in $T/run.out and $T/run.err (ERRTXT).
run() {
	RC=0
	"$@" >"$T/run.out" 2>"$T/run.err" || RC=$?
	ERRTXT=$(cat "$T/run.err")
}
# expect_fail ERE WHAT CMD... — CMD must exit non-zero with ERE in stderr.
expect_fail() {
	local ere=$1 what=$2
	shift 2
	run "$@"
	[ "$RC" -ne 0 ] || fail "$what: '$*' succeeded, expected failure /$ere/"
	[[ $ERRTXT =~ $ere ]] ||
		fail "$what: '$*' failed (status $RC) but stderr '$ERRTXT' lacks /$ere/"
}

# wait_until SECONDS CMD... — poll CMD every 0.1 s; status 1 on timeout.
wait_until() {
	local n=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# --- payloads and records ----------------------------------------------

# make_tgz OUT [KIB] — a small valid tar.gz of KIB KiB (default 64) of
# random content: every call gives a different hash.
make_tgz() {
	local out=$1 kib=${2:-64} d
	d=$(mktemp -d "$T/src.XXXXXX")
	head -c $((kib * 1024)) /dev/urandom >"$d/data.bin"
	printf '%s %s\n' "$out" "$RANDOM" >"$d/name.txt"
	tar -C "$d" -czf "$out" .
	rm -rf "$d"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
fsize() { stat -c %s "$1"; }

# rec ID JQ-FILTER — one field of deployments/ID/record.json, raw.
rec() {
	jq -r "$2" "$MNT/deployments/$1/record.json" ||
		fail "jq '$2' on deployments/$1/record.json failed"
}
# All deployment ids, as `ls` orders them.
ids_all() { ls "$MNT/deployments"; }
# The deployment ids of one project (none if it has no directory).
ids_of() {
	[ -d "$MNT/projects/$1" ] || return 0
	# Ids only: not latest, current, nodes, nodes.json.
	ls "$MNT/projects/$1" | { grep -x -E '[0-9a-f]{8}-[-0-9a-f]{27}' || true; }
}
# new_ids BEFORE — the ids not in BEFORE (an earlier ids_all).
new_ids() {
	comm -13 <(printf '%s\n' "$1" | sort) <(ids_all | sort)
}
# new_id BEFORE — the one new id; fails unless there is exactly one.
new_id() {
	local ids n
	ids=$(new_ids "$1")
	n=$(printf '%s' "$ids" | grep -c . || true)
	[ "$n" -eq 1 ] || fail "expected exactly 1 new deployment, found $n: $(printf "%s " $ids)"
	printf '%s\n' "$ids"
}
pending_count() { ls "$MNT/status/pending" | wc -l; }

# check_success ID PROJECT FILE [delta] — a committed deployment of FILE.
# With "delta" (offset writes into a copy of the current payload, as by
# rsync --inplace) bytes_received counts only the bytes written, so it is
# not compared with the size.
check_success() {
	local id=$1 p=$2 f=$3 mode=${4:-} h s
	h=$(sha "$f")
	s=$(fsize "$f")
	assert_eq "$(rec "$id" .project)" "$p" "$id: project"
	assert_eq "$(rec "$id" .status)" success "$id: status (error: $(rec "$id" .error))"
	assert_eq "$(rec "$id" .phase)" "done" "$id: phase"
	assert_eq "$(rec "$id" .error)" null "$id: error"
	assert_eq "$(rec "$id" .payload_hash)" "$h" "$id: payload_hash"
	assert_eq "$(rec "$id" .payload_size)" "$s" "$id: payload_size"
	if [ "$mode" = delta ]; then
		assert_match "$(rec "$id" .bytes_received)" '^[1-9][0-9]*$' "$id: bytes_received"
	else
		assert_eq "$(rec "$id" .bytes_received)" "$s" "$id: bytes_received"
	fi
	assert_eq "$(rec "$id" .payload_blob_present)" true "$id: payload_blob_present"
	assert_match "$(rec "$id" .completed_at)" '^[0-9]{4}-' "$id: completed_at"
	assert_cmp "$MNT/deployments/$id/payload" "$f" "$id: deployments/<id>/payload"
	assert_eq "$(fsize "$MNT/deployments/$id/payload")" "$s" "$id: stat size of payload"
	[ -L "$MNT/status/success/$id" ] || fail "$id: no status/success/$id symlink"
	[ ! -e "$MNT/status/pending/$id" ] || fail "$id: still in status/pending"
	[ -L "$MNT/projects/$p/$id" ] || fail "$id: no projects/$p/$id symlink"
}

# check_failed ID PROJECT CODE — a failed deployment with error.code CODE.
check_failed() {
	local id=$1 p=$2 code=$3
	assert_eq "$(rec "$id" .project)" "$p" "$id: project"
	assert_eq "$(rec "$id" .status)" failed "$id: status"
	assert_eq "$(rec "$id" .error.code)" "$code" "$id: error.code (error: $(rec "$id" .error))"
	assert_match "$(rec "$id" .error.message)" . "$id: error.message"
	assert_match "$(rec "$id" .completed_at)" '^[0-9]{4}-' "$id: completed_at"
	[ -L "$MNT/status/failed/$id" ] || fail "$id: no status/failed/$id symlink"
	[ ! -e "$MNT/status/pending/$id" ] || fail "$id: still in status/pending"
	[ ! -e "$MNT/status/success/$id" ] || fail "$id: also in status/success"
}

# link_target PATH — readlink, failing clearly if PATH is not a symlink.
link_target() {
	readlink "$1" || fail "$1 is not a symlink"
}

# --- deploys, archives and hooks (issue 4) -----------------------------

# deploy_ok FILE PROJECT — cp FILE to deploy/PROJECT, which must succeed
# and make exactly one deployment; its id goes to $ID.
deploy_ok() {
	local before
	before=$(ids_all)
	run cp "$1" "$MNT/deploy/$2"
	if [ "$RC" -ne 0 ]; then
		local d
		for d in $(new_ids "$before"); do
			log "record.json of the failed deploy:"
			cat "$MNT/deployments/$d/record.json" >&2
			log "log of the failed deploy:"
			cat "$MNT/deployments/$d/log" >&2
		done
		fail "cp $1 deploy/$2 failed (status $RC): $ERRTXT"
	fi
	ID=$(new_id "$before")
}
# deploy_fail ERE FILE PROJECT — cp FILE to deploy/PROJECT, which must
# fail with ERE in cp's stderr and make exactly one deployment ($ID).
deploy_fail() {
	local before
	before=$(ids_all)
	expect_fail "$1" "cp $2 deploy/$3" cp "$2" "$MNT/deploy/$3"
	ID=$(new_id "$before")
}
# wait_settled ID SECONDS — wait until deployment ID is no longer pending.
settled() { [ "$(jq -r .status "$MNT/deployments/$1/record.json")" != pending ]; }
wait_settled() {
	wait_until "$2" settled "$1" ||
		fail "$1: still pending after $2 s (phase $(rec "$1" .phase))"
}
# now_ms — wall-clock milliseconds.
now_ms() { date +%s%3N; }

# make_tree DIR — a small project tree: compressible text, 1 MiB of
# random bytes, an empty file, a subdirectory, a symlink and a hard link.
make_tree() {
	local d=$1
	mkdir -p "$d/data/nested"
	printf 'tree %s made at %s\n' "$d" "$(date +%s.%N)" >"$d/README.txt"
	seq 1 100000 >"$d/big.txt"
	head -c 1048576 /dev/urandom >"$d/data/random.bin"
	echo nested >"$d/data/nested/more.txt"
	: >"$d/empty"
	ln -s data/random.bin "$d/link"
	ln "$d/README.txt" "$d/hard.txt"
}

# flip_byte FILE OFFSET — invert every bit of the byte at OFFSET, in place.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	[ -n "$b" ] || fail "flip_byte: $1 has no byte at offset $2"
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none
}

# write_hook PATH — the script on stdin becomes executable file PATH.
write_hook() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
	chmod 755 "$1"
}

# check_current PROJECT ID FILE — projects/PROJECT/current is ID and
# deploy/PROJECT reads as FILE.
check_current() {
	assert_eq "$(link_target "$MNT/projects/$1/current")" "../../deployments/$2" \
		"projects/$1/current"
	assert_cmp "$MNT/deploy/$1" "$3" "deploy/$1"
	assert_eq "$(fsize "$MNT/deploy/$1")" "$(fsize "$3")" "stat size of deploy/$1"
}

# --- rollback, retention, verification (issue 5) -----------------------

# blob_path HASH — where the store keeps the blob of sha256 HASH.
blob_path() { printf '%s\n' "$STORE/blobs/${1:0:2}/$1"; }
# blob_files — every file under STORE/blobs, sorted.
blob_files() { find "$STORE/blobs" -type f | sort; }
blob_count() { find "$STORE/blobs" -type f | wc -l; }
# has_payload ID — record.json says payload_blob_present, and
# deployments/ID/payload exists; prints "true" or "false", or "mixed".
has_payload() {
	local p e=false
	p=$(rec "$1" .payload_blob_present)
	[ -e "$MNT/deployments/$1/payload" ] && e=true
	if [ "$p" = "$e" ]; then echo "$p"; else echo "mixed (record $p, payload file $e)"; fi
}
