#!/bin/bash
# The daemon writes one line per settled deployment to its standard
# error: "<project> <id>: success", "<project> <id>: failed: <code>:
# <message>", a hook's failure too (its output lines escaped into one).
set -eu
. "$(dirname "$0")/lib.sh" "$@"

mkdir -p "$STORE/hooks"
write_hook "$STORE/hooks/hooked" <<'EOF2'
#!/bin/sh
echo "first line"
echo "second line"
exit 3
EOF2
start_daemon

make_tgz "$T/app.tgz"
deploy_ok "$T/app.tgz" web
ok=$ID
echo "not an archive" >"$T/junk.txt"
deploy_fail "Bad message|Input/output" "$T/junk.txt" web
bad=$ID
cp "$T/app.tgz" "$MNT/deploy/hooked"
hooked=$(ids_of hooked)
wait_settled "$hooked" 20

has_line() { grep -qxF "$1" "$DAEMON_ERR"; }
wait_until 5 has_line "web $ok: success" ||
	fail "no line 'web $ok: success' in the daemon's stderr"
want="web $bad: failed: $(rec "$bad" .error.code): $(rec "$bad" .error.message)"
assert_eq "$(rec "$bad" .error.code)" not_an_archive "error.code of $bad"
wait_until 5 has_line "$want" || fail "no line '$want' in the daemon's stderr"
want=$(rec "$hooked" '"hooked \(.deployment_id): failed: \(.error.code): \(.error.message | gsub("\n"; "\\n"))"')
wait_until 5 has_line "$want" || fail "no line '$want' in the daemon's stderr"
assert_match "$want" 'hook_failed: .*first line\\nsecond line' "the hook's line"
# One line each: nothing else names these deployments.
for id in $ok $bad $hooked; do
	assert_eq "$(grep -c "$id" "$DAEMON_ERR")" 1 "lines naming $id"
done
finish
