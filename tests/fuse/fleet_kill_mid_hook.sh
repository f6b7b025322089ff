#!/bin/bash
# Issue 14 acceptance: kill -9 of a follower mid-hook, then restart: the
# delivery is recorded interrupted — by the live daemon of host a while
# the follower stays down (it holds no lease any more) — then delivered
# again (once) when the follower comes back.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
. "$(dirname "$0")/fleetlib.sh"
# The first run blocks (its pid noted, so this test can end it); the next
# ones release as usual.
HOOK_C=$T/slow.sh
cat >"$HOOK_C" <<HOOK
#!/bin/sh
if [ ! -e "$T/blocked_once" ]; then
	: >"$T/blocked_once"
	echo \$\$ >"$T/hook.pid"
	exec sleep 60
fi
exec "$RELEASE_HOOK"
HOOK
chmod +x "$HOOK_C"
start_host_a
start_follower_c

make_tgz "$T/app.tgz"
cp "$T/app.tgz" "$MNT/deploy/web" || fail "cp on host a"
id=$(ls "$MNT/deployments")
wait_until 30 test -s "$T/hook.pid" || fail "the hook did not start"
assert_eq "$(delivery host-c "$id" status)" "$(status_code pending)" "pending mid-hook"
kill_follower_c
kill -KILL "$(cat "$T/hook.pid")" 2>/dev/null || true
# Host a sweeps for dead nodes every 10 s.
interrupted() { [ "$(delivery host-c "$id" status)" = "$(status_code interrupted)" ]; }
wait_until 30 interrupted || fail "a dead follower's delivery still pending after 30 s"
grep '"delivery_interrupted"' "$MNT/audit.log" | grep -q host-c ||
	fail "no delivery_interrupted event naming host-c while it is down"
assert_eq "$(delivery host-c "$id" error_code)" interrupted "error code"

start_follower_c
wait_until 30 deliveries_are "$id" success 1 || fail "re-delivered after restart"
assert_eq "$(delivery host-c "$id" attempts)" 2 "attempts"
assert_eq "$(readlink "$ROOT_C/current")" "releases/$id" "current after restart"
assert_eq "$(grep '"delivery_interrupted"' "$MNT/audit.log" | grep -c host-c)" 1 \
	"delivery_interrupted events naming host-c (one: the restart finds none left)"
finish
