#!/bin/bash
# Acceptance 3 and 4 of issue 4: hooks. A hook printing a line a second
# for 5 s shows up live in `tail -f log` while record.json says
# pending/hook, then success; a hook that exits 3 fails hook_failed with its
# last output; one that sleeps past hook_timeout is killed (hook_timeout);
# with hook_wait, cp's exit status is the hook's. Also: the hook's stdin and
# environment, per-project hooks in STORE/hooks, and a hook cut off by a
# daemon crash (interrupted).
set -eu
. "$(dirname "$0")/lib.sh" "$@"

H=$T/hooks  # hook scripts given with -o hook=
OUT=$T/out  # what the hooks write
mkdir -p "$OUT"

# proc_running PID — PID exists and is not a zombie.
proc_running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
proc_gone() { ! proc_running "$1"; }
# status_phase ID — "status/phase" of a deployment.
status_phase() { jq -r '"\(.status)/\(.phase)"' "$MNT/deployments/$1/record.json"; }

write_hook "$H/ticker" <<EOF2
#!/bin/sh
echo \$\$ >"$OUT/ticker.pid"
for i in 1 2 3 4 5; do
	echo "tick \$i of \$DEPLOYFS_PROJECT"
	sleep 1
done
echo "ticker done"
EOF2
start_daemon -o "hook=$H/ticker"

# --- 3. a slow hook: live log, pending/hook, then success -----------------
make_tgz "$T/v1.tgz"
t0=$(now_ms)
deploy_ok "$T/v1.tgz" ticks
id=$ID
t_cp=$(($(now_ms) - t0))
[ "$t_cp" -lt 3500 ] || fail "cp took $t_cp ms: without hook_wait close must not wait for the 5 s hook"
assert_eq "$(status_phase "$id")" pending/hook "status/phase right after cp returned"
assert_eq "$(rec "$id" .completed_at)" null "completed_at while the hook runs"
[ -L "$MNT/status/pending/$id" ] || fail "no status/pending/$id while the hook runs"
tail -n +1 -s 0.1 -f "$MNT/deployments/$id/log" >"$T/tail.out" 2>"$T/tail.err" &
tail_pid=$!
bg_pid "$tail_pid"
t_first='' t_last='' seen_status=''
while [ $(($(now_ms) - t0)) -lt 20000 ]; do
	now=$(now_ms)
	st=$(status_phase "$id")
	if [ -z "$t_first" ] && grep -q '^tick 1 of ticks$' "$T/tail.out"; then
		t_first=$((now - t0))
		seen_status=$st
	fi
	if grep -q '^tick 5 of ticks$' "$T/tail.out"; then
		t_last=$((now - t0))
		break
	fi
	[ -z "$t_first" ] || [ "$st" = pending/hook ] ||
		fail "status/phase $st before the hook's last line reached the log"
	sleep 0.1
done
[ -n "$t_first" ] || fail "tail -f of the log never showed 'tick 1' (tail: $(cat "$T/tail.out" "$T/tail.err"))"
[ -n "$t_last" ] || fail "tail -f of the log never showed 'tick 5' (tail: $(cat "$T/tail.out" "$T/tail.err"))"
log "tail -f showed tick 1 at +$t_first ms, tick 5 at +$t_last ms (cp returned at +$t_cp ms)"
[ "$t_first" -lt $((t_cp + 2500)) ] ||
	fail "the hook's first line reached tail -f $((t_first - t_cp)) ms after cp returned (want it well before the hook's end at ~5 s)"
[ $((t_last - t_first)) -ge 2500 ] ||
	fail "tick 1 and tick 5 reached tail -f only $((t_last - t_first)) ms apart: not live"
assert_eq "$seen_status" pending/hook "status/phase when the first hook line showed"
wait_settled "$id" 15
check_success "$id" ticks "$T/v1.tgz"
assert_eq "$(link_target "$MNT/projects/ticks/current")" "../../deployments/$id" "projects/ticks/current after the hook"
wait_until 5 grep -q '^ticker done$' "$T/tail.out" || fail "tail -f never showed the hook's last line"
kill "$tail_pid"
wait "$tail_pid" 2>/dev/null || true
cat "$MNT/deployments/$id/log" >"$T/log1"
grep -v ' deployfs: ' "$T/log1" >"$T/hook-lines"
printf 'tick %s of ticks\n' 1 2 3 4 5 >"$T/want"
echo "ticker done" >>"$T/want"
assert_cmp "$T/hook-lines" "$T/want" "the hook's lines in the log"
grep -q ' deployfs: check passed' "$T/log1" || soft_fail "no 'check passed' line in the log: $(cat "$T/log1")"
assert_eq "$(fsize "$MNT/deployments/$id/log")" "$(wc -c <"$T/log1")" "stat size of the log vs its bytes"
log "3: live log, pending/hook, then success: ok"

# --- 3. a per-project hook that exits 3 --------------------------------------------
mkdir -p "$STORE/hooks"
write_hook "$STORE/hooks/flaky" <<EOF2
#!/bin/sh
echo "step one"
echo "step two (stderr)" >&2
if [ -e "$OUT/flaky.fail" ]; then
	echo "error: disk on fire" >&2
	exit 3
fi
echo "flaky ok"
EOF2
make_tgz "$T/f1.tgz"
deploy_ok "$T/f1.tgz" flaky
f1=$ID
wait_settled "$f1" 10
check_success "$f1" flaky "$T/f1.tgz"
grep -q '^flaky ok$' "$MNT/deployments/$f1/log" || fail "STORE/hooks/flaky did not run for project flaky"
! grep -q '^tick' "$MNT/deployments/$f1/log" || fail "the -o hook ran although STORE/hooks/flaky overrides it"
touch "$OUT/flaky.fail"
make_tgz "$T/f2.tgz"
deploy_ok "$T/f2.tgz" flaky # no hook_wait: close does not wait for the hook
f2=$ID
wait_settled "$f2" 10
check_failed "$f2" flaky hook_failed
assert_eq "$(rec "$f2" .error.phase)" hook "error.phase of a failed hook"
assert_eq "$(rec "$f2" .phase)" "done" "phase of a failed hook"
msg=$(rec "$f2" .error.message)
assert_match "$msg" 'error: disk on fire' "error.message of a hook that exits 3 (its last output)"
assert_eq "$(rec "$f2" .payload_blob_present)" true "payload kept after a failed hook"
check_current flaky "$f1" "$T/f1.tgz"
grep -q '^step two (stderr)$' "$MNT/deployments/$f2/log" || fail "the hook's stderr is not in the log"
log "3: hook exit 3 -> hook_failed ($msg), current kept: ok"

# --- the hook's stdin and environment --------------------------------------------
write_hook "$STORE/hooks/env" <<EOF2
#!/bin/sh
env | grep '^DEPLOYFS_' | sort >"$OUT/env.txt"
cat >"$OUT/stdin.bin"
EOF2
make_tgz "$T/e1.tgz" 512
deploy_ok "$T/e1.tgz" env
e1=$ID
wait_settled "$e1" 10
check_success "$e1" env "$T/e1.tgz"
assert_cmp "$OUT/stdin.bin" "$T/e1.tgz" "the hook's stdin vs the payload"
envv() { sed -n "s/^$1=//p" "$OUT/env.txt"; }
assert_eq "$(envv DEPLOYFS_ID)" "$e1" "DEPLOYFS_ID"
assert_eq "$(envv DEPLOYFS_PROJECT)" env "DEPLOYFS_PROJECT"
assert_eq "$(envv DEPLOYFS_SHA256)" "$(sha "$T/e1.tgz")" "DEPLOYFS_SHA256"
assert_eq "$(realpath "$(envv DEPLOYFS_STORE)")" "$(realpath "$STORE")" "DEPLOYFS_STORE"
pl=$(envv DEPLOYFS_PAYLOAD)
assert_match "$pl" '^/' "DEPLOYFS_PAYLOAD is an absolute path"
assert_cmp "$pl" "$T/e1.tgz" "the file at DEPLOYFS_PAYLOAD"
mode=$(stat -c %a "$pl")
[ $((8#$mode & 8#222)) -eq 0 ] || soft_fail "DEPLOYFS_PAYLOAD $pl has write bits (mode $mode)"
log "hook stdin and environment: ok"

# --- a hook running when the daemon dies: interrupted at restart -------------------
make_tgz "$T/v2.tgz"
deploy_ok "$T/v2.tgz" ticks
v2=$ID
wait_until 5 grep -q '^tick 1' "$MNT/deployments/$v2/log" || fail "the ticker did not start for $v2"
assert_eq "$(status_phase "$v2")" pending/hook "status/phase while the hook runs"
kill_daemon_hard
tick_pid=$(cat "$OUT/ticker.pid")

# --- 3. a hook that sleeps past hook_timeout is killed ------------------------------
write_hook "$H/sleeper" <<EOF2
#!/bin/sh
echo \$\$ >"$OUT/sleeper.pid"
echo "going to sleep"
sleep 60 &
echo \$! >"$OUT/sleep.pid"
wait
echo "woke up"
EOF2
start_daemon -o "hook=$H/sleeper,hook_timeout=2"
if [ "$(rec "$v2" .status)" = failed ]; then
	soft_eq "$(rec "$v2" .error.code)" interrupted "error.code of a hook cut off by a crash"
else
	soft_fail "a hook cut off by a crash: status/phase $(status_phase "$v2") after restart, want failed/done (interrupted)"
fi
check_current ticks "$id" "$T/v1.tgz"
wait_until 5 proc_gone "$tick_pid" ||
	log "note: the orphaned ticker hook $tick_pid still runs after the crash"

make_tgz "$T/s1.tgz"
t0=$(now_ms)
deploy_ok "$T/s1.tgz" sleepy
s1=$ID
[ $(($(now_ms) - t0)) -lt 1500 ] || fail "cp waited for the hook without hook_wait"
wait_until 5 test -s "$OUT/sleep.pid" || fail "the sleeper hook did not start"
hook_pid=$(cat "$OUT/sleeper.pid")
sleep_pid=$(cat "$OUT/sleep.pid")
assert_eq "$(status_phase "$s1")" pending/hook "status/phase of the sleeping hook"
wait_settled "$s1" 15
took=$(($(now_ms) - t0))
check_failed "$s1" sleepy hook_timeout
assert_eq "$(rec "$s1" .error.phase)" hook "error.phase of a timed-out hook"
[ "$took" -ge 1800 ] || fail "the hook was stopped after $took ms, before hook_timeout=2"
[ "$took" -lt 8000 ] || fail "the hook was stopped only after $took ms (hook_timeout=2)"
wait_until 3 proc_gone "$hook_pid" ||
	fail "the timed-out hook (pid $hook_pid) is still running"
wait_until 3 proc_gone "$sleep_pid" ||
	fail "the timed-out hook's child (sleep, pid $sleep_pid) is still running"
grep -q '^going to sleep$' "$MNT/deployments/$s1/log" || fail "the sleeper's output is not in the log"
! grep -q '^woke up$' "$MNT/deployments/$s1/log" || fail "the sleeper woke up: not killed"
[ ! -e "$MNT/projects/sleepy/current" ] || fail "projects/sleepy/current exists after a timed-out hook"
log "3: hook past hook_timeout killed after $took ms ($(rec "$s1" .error.message)): ok"

# --- 4. hook_wait: cp's exit status is the deploy's ---------------------------------
stop_daemon
write_hook "$H/gate" <<'EOF2'
#!/bin/sh
case $DEPLOYFS_PROJECT in
bad)
	echo "running migrations"
	echo "migration failed: table missing" >&2
	exit 1 ;;
slow)
	echo "waiting forever"
	sleep 60 ;;
*)
	echo "all good" ;;
esac
EOF2
start_daemon -o "hook=$H/gate,hook_wait,hook_timeout=2"

make_tgz "$T/w1.tgz"
deploy_ok "$T/w1.tgz" ok
w1=$ID
check_success "$w1" ok "$T/w1.tgz" # settled by the time cp returned
grep -q '^all good$' "$MNT/deployments/$w1/log" || fail "the hook's output is not in the log"

make_tgz "$T/w2.tgz"
deploy_fail 'Operation canceled' "$T/w2.tgz" bad
check_failed "$ID" bad hook_failed
assert_match "$(rec "$ID" .error.message)" 'migration failed: table missing' "error.message of a failed hook"
[ ! -e "$MNT/projects/bad/current" ] || fail "projects/bad/current exists though its only deploy failed"

make_tgz "$T/w3.tgz"
t0=$(now_ms)
deploy_fail 'Connection timed out' "$T/w3.tgz" slow
took=$(($(now_ms) - t0))
check_failed "$ID" slow hook_timeout
[ "$took" -ge 1800 ] && [ "$took" -lt 8000 ] ||
	fail "cp of a deploy whose hook times out (hook_timeout=2) returned after $took ms"

echo "not an archive" >"$T/junk.txt"
deploy_fail 'Bad message' "$T/junk.txt" ok
check_failed "$ID" ok not_an_archive
! grep -q '^all good$' "$MNT/deployments/$ID/log" 2>/dev/null || fail "the hook ran for a payload that failed the check"
check_current ok "$w1" "$T/w1.tgz"
assert_eq "$(pending_count)" 0 "entries in status/pending"
log "4: hook_wait: cp fails when the hook fails or times out: ok"

finish
