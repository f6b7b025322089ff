#!/bin/bash
# Acceptance 7 of issue 2: kill -9 of the daemon in the middle of a slow
# upload, then a restart on the same store: that record is failed with
# code "interrupted", STORE/tmp is empty, every earlier payload and record
# is intact, and the store takes new deploys. Also: a second daemon on a
# store that is in use fails.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

# --- earlier deployments ---------------------------------------------------
declare -A FILE_OF
earlier=()
for spec in p1:a p2:b p1:c; do
	p=${spec%%:*}
	f=$T/${spec#*:}.tgz
	make_tgz "$f" 200
	before=$(ids_all)
	cp "$f" "$MNT/deploy/$p" || fail "cp $f deploy/$p failed"
	id=$(new_id "$before")
	check_success "$id" "$p" "$f"
	FILE_OF[$id]=$f
	earlier+=("$id")
	cp "$MNT/deployments/$id/record.json" "$T/$id.json"
done
ino=$(stat -c %i "$MNT/deployments/${earlier[0]}/record.json")

# --- a slow upload: 1 MiB, then the writer waits -------------------------------
# One process (cat) holds the drop box open, fed through a FIFO that this
# shell keeps open, so no close (and no flush: no commit) happens before
# the kill. `{ head; sleep; } > deploy/p` would not do: head's exit closes
# its copy of the fd, and that flush commits the deployment.
make_tgz "$T/big.tgz" 2048
mkfifo "$T/fifo"
exec 4<>"$T/fifo"
before=$(ids_all)
cat "$T/fifo" >"$MNT/deploy/slow" &
writer=$!
bg_pid "$writer"
head -c 1048576 "$T/big.tgz" >&4
has_pending() { [ -n "$(ls "$MNT/status/pending")" ]; }
wait_until 10 has_pending || fail "no pending record 10 s into the slow upload"
id=$(new_id "$before")
assert_eq "$(rec "$id" .status)" pending "status of the upload in progress"
assert_eq "$(rec "$id" .phase)" upload "phase of the upload in progress"
assert_eq "$(rec "$id" .completed_at)" null "completed_at of the upload in progress"
assert_eq "$(rec "$id" .pid)" "$writer" "pid of the upload in progress"
assert_eq "$(link_target "$MNT/status/pending/$id")" "../../deployments/$id" "status/pending/<id>"
got_1m() { [ "$(rec "$id" .bytes_received)" = 1048576 ]; }
wait_until 3 got_1m ||
	soft_fail "bytes_received of the upload in progress: $(rec "$id" .bytes_received), want 1048576"
[ -n "$(ls -A "$STORE/tmp")" ] ||
	soft_fail "STORE/tmp is empty during an upload (where does it stream to?)"

# --- crash and restart -------------------------------------------------------
log "kill -9 daemon $DPID mid-upload"
kill_daemon_hard
child_running "$writer" && kill -KILL "$writer"
wait "$writer" 2>/dev/null || true
exec 4>&-
start_daemon

check_failed "$id" slow interrupted
assert_eq "$(pending_count)" 0 "entries in status/pending after restart"
assert_eq "$(ls -A "$STORE/tmp")" "" "files in STORE/tmp after restart"
[ ! -e "$MNT/projects/slow/current" ] || fail "projects/slow/current exists after an interrupted deploy"
assert_eq "$(link_target "$MNT/projects/slow/latest")" "../../deployments/$id" "projects/slow/latest"
for e in "${earlier[@]}"; do
	check_success "$e" "$(rec "$e" .project)" "${FILE_OF[$e]}"
	assert_cmp "$MNT/deployments/$e/record.json" "$T/$e.json" "$e: record.json across the crash"
done
assert_cmp "$MNT/deploy/p1" "$T/c.tgz" "deploy/p1 after restart"
assert_cmp "$MNT/deploy/p2" "$T/b.tgz" "deploy/p2 after restart"
soft_eq "$(stat -c %i "$MNT/deployments/${earlier[0]}/record.json")" "$ino" \
	"inode of record.json across a restart"
log "interrupted upload recovered: ok"

# --- the store still takes deploys -------------------------------------------
before=$(ids_all)
cp "$T/big.tgz" "$MNT/deploy/slow" || fail "cp to deploy/slow after restart failed"
id2=$(new_id "$before")
check_success "$id2" slow "$T/big.tgz"

# --- a second daemon on the same store fails -----------------------------------
mkdir "$T/mnt2"
EXTRA_MNTS+=("$T/mnt2")
rc=0
timeout 10 "$DEPLOYFS" -f "$STORE" "$T/mnt2" </dev/null >/dev/null 2>"$T/second.err" || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || is_mounted "$T/mnt2"; then
	soft_fail "a second daemon on the same store did not fail (status $rc)"
else
	[ -s "$T/second.err" ] || soft_fail "the second daemon failed (status $rc) without a message"
	log "second daemon refused (status $rc): $(head -n 1 "$T/second.err")"
fi
assert_cmp "$MNT/deploy/slow" "$T/big.tgz" "deploy/slow after the second daemon tried"

finish
