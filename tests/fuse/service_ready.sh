#!/bin/bash
# Under a service manager ($NOTIFY_SOCKET), the daemon sends READY=1 once
# its mount answers, and STOPPING=1 after a SIGTERM, then exits 0 with the
# mount gone. The service manager here is a datagram socket this test
# listens on; it checks the mount at the moment each message arrives.
. "$(dirname "$0")/lib.sh" "$@"

command -v python3 >/dev/null || fail "python3 is not installed (scripts/deps.sh --test)"

SOCK=$T/notify.sock
MARK=$T/term.sent
python3 - "$SOCK" "$MNT" "$MARK" >"$T/notes" 2>"$T/listener.err" <<'EOF' &
import os, socket, sys

sock, mnt, mark = sys.argv[1:4]

def mounted():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            a = line.split()
            if a[4] == mnt and a[a.index("-") + 1] == "fuse.deployfs":
                return True
    return False

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock)
s.settimeout(60)
while True:
    for field in s.recv(4096).decode().split("\n"):
        if field == "READY=1":
            # At this very moment the mount must exist and answer.
            ok = mounted() and "deploy" in os.listdir(mnt)
            print("READY", "answering" if ok else "not-answering", flush=True)
        elif field == "STOPPING=1":
            when = "after-term" if os.path.exists(mark) else "before-term"
            print("STOPPING", when, flush=True)
            sys.exit(0)
        elif field:
            print("OTHER", field, flush=True)
EOF
LPID=$!
bg_pid "$LPID"
wait_until 20 test -S "$SOCK" || fail "the listener made no socket: $(cat "$T/listener.err")"

export NOTIFY_SOCKET=$SOCK
start_daemon
unset NOTIFY_SOCKET
wait_until 10 grep -q '^READY' "$T/notes" ||
	fail "no READY=1 within 10 s of the mount: $(cat "$T/notes")"
assert_eq "$(grep '^READY' "$T/notes")" "READY answering" \
	"READY=1 once, when the mount answers"
log "READY=1 came after the mount answered"

# It serves as usual.
make_tgz "$T/a.tgz"
deploy_ok "$T/a.tgz" web
check_success "$ID" web "$T/a.tgz"

# A stop: STOPPING=1, exit 0, the mount gone.
: >"$MARK"
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
DPID=
assert_eq "$rc" 0 "exit status after SIGTERM"
wait "$LPID" || fail "the listener failed: $(cat "$T/listener.err")"
assert_eq "$(grep -c '^READY' "$T/notes")" 1 "READY=1 messages"
assert_eq "$(grep '^STOPPING' "$T/notes")" "STOPPING after-term" "STOPPING=1 after SIGTERM"
is_mounted "$MNT" && fail "still mounted after the daemon exited"

# The deploy is still there on the next start, without a service manager.
start_daemon
check_success "$ID" web "$T/a.tgz"
finish
