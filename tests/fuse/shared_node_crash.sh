#!/bin/bash
# DESIGN "Many hosts": kill -9 of host b while a deploy streams into it;
# its lease goes with its session, and host a fails the pending record
# "interrupted" within 30 s. Host b, started again, serves again.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
start_host_a
start_host_b

# A writer that sends some bytes and keeps the file open: cat, fed
# through a FIFO this shell holds (a closing writer would commit).
make_tgz "$T/big.tgz" 1024
mkfifo "$T/fifo"
exec 4<>"$T/fifo"
cat "$T/fifo" >"$MNT_B/deploy/web" 2>/dev/null &
bg_pid $!
head -c 262144 "$T/big.tgz" >&4
has_pending() { [ -n "$(ls "$MNT/status/pending")" ]; }
wait_until 10 has_pending || fail "no pending record on host a"
id=$(ls "$MNT/status/pending")
kill_host_b
exec 4>&-
# Generous: recovery runs every 10 s; the promise is 30 s.
is_failed() { [ "$(rec "$id" .status)" = failed ]; }
wait_until 60 is_failed ||
	fail "the dead node's deployment is still $(rec "$id" .status)"
assert_eq "$(rec "$id" .error.code)" interrupted "error code"
grep -q "dead node" "$DAEMON_ERR" || fail "host a did not log the recovery"

start_host_b
make_tgz "$T/app.tgz"
cp "$T/app.tgz" "$MNT_B/deploy/web" || fail "cp on host b after its restart"
finish
