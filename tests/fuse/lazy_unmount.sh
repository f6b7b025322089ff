#!/bin/bash
# A lazy unmount (fusermount3 -uz) while a deploy is being written: the
# kernel sends no release for what is still open when the connection
# ends, so the daemon frees every handle itself at exit (the sanitizer
# build's leak check proves it), exits 0, and the cut deploy is settled
# as "aborted" there and then, not left pending for recovery.
set -eu
. "$(dirname "$0")/lib.sh" "$@"

head -c $((256 * 1024)) /dev/urandom >"$T/part"

# writer_start PROJECT — cat from a FIFO into deploy/PROJECT, fed the
# first part; sets WPID and keeps the FIFO open on fd 4.
writer_start() {
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	cat "$T/fifo" >"$MNT/deploy/$1" 2>/dev/null &
	WPID=$!
	bg_pid "$WPID"
	exec 4>"$T/fifo"
	cat "$T/part" >&4
}
# The one pending deployment, once it has received the first part.
received() {
	local id
	id=$(ls "$MNT/status/pending")
	[ -n "$id" ] && [ "$(rec "$id" .bytes_received)" -ge $((256 * 1024)) ]
}
# daemon_exits SECONDS — wait for the daemon to exit by itself; it must
# exit 0 and cleanly.
daemon_exits() {
	local st=0
	wait_until "$1" eval '! child_running "$DPID"' ||
		fail "the daemon still runs $1 s after the lazy unmount"
	wait "$DPID" || st=$?
	DPID=
	assert_eq "$st" 0 "the daemon's exit status"
	daemon_clean 0 0 || fail "the daemon did not exit cleanly"
}

# 1. Lazy unmount, then SIGTERM while the writer still holds the file.
start_daemon
writer_start web
wait_until 10 received || fail "the writer's first part did not arrive"
id=$(ls "$MNT/status/pending")
fusermount3 -uz "$MNT"
! is_mounted "$MNT" || fail "$MNT is still mounted after fusermount3 -uz"
kill -TERM "$DPID"
daemon_exits 10
exec 4>&-
wait "$WPID" 2>/dev/null || true
start_daemon
assert_eq "$(rec "$id" .status)" failed "the cut deploy's status"
assert_eq "$(rec "$id" .error.code)" aborted "the cut deploy's error code"
log "lazy unmount, then SIGTERM with a writer: handles freed, aborted: ok"

# 2. Lazy unmount, then the writer finishes: the daemon exits by itself
#    once the last file is closed.
writer_start api
wait_until 10 received || fail "the writer's first part did not arrive"
fusermount3 -uz "$MNT"
cat "$T/part" >&4
exec 4>&-
wait "$WPID" || true
daemon_exits 20
log "lazy unmount, then the writer closes: daemon exits 0: ok"
finish
