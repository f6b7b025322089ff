#!/bin/bash
# max_payload: a write, truncate or dd seek= that would make a payload
# larger than the limit (default 64G) fails at once with EFBIG ("File
# too large"): nothing is read, copied, hashed or allocated, no temp file
# is left and no deployment is started. A cp of a payload larger than the
# limit fails the deployment it started, with code too_large.
set -eu
. "$(dirname "$0")/lib.sh" "$@"

# quick WHAT CMD... — CMD must fail with "File too large", fast. The
# contract says under a second; the bound here is looser so that a
# loaded machine cannot fail it (without the limit these take hours).
quick() {
	local what=$1 t0 ms
	shift
	t0=$(now_ms)
	expect_fail 'File too large' "$what" "$@"
	ms=$(($(now_ms) - t0))
	log "$what: refused in $ms ms"
	[ "$ms" -lt 5000 ] || fail "$what: took $ms ms"
	assert_eq "$(ls -A "$STORE/tmp")" "" "temp files after $what"
}

start_daemon
make_tgz "$T/v1.tgz"
deploy_ok "$T/v1.tgz" web
first=$ID
before=$(ids_all)

# 1. The default limit (64G): the acceptance's 1T gestures.
quick "truncate -s 1T deploy/web" truncate -s 1T "$MNT/deploy/web"
quick "dd seek=1T of a new project" \
	dd if=/dev/zero of="$MNT/deploy/x" bs=1 seek=1T count=1 status=none
quick "dd seek=1T conv=notrunc" \
	dd if=/dev/zero of="$MNT/deploy/web" bs=1 seek=1T count=1 \
	conv=notrunc status=none
quick "truncate -s 65G on a staging file" \
	bash -c 'exec 3>"$1" && truncate -s 65G "$1"' _ "$MNT/deploy/.web.Ab12Cd"
rm -f "$MNT/deploy/.web.Ab12Cd"
assert_eq "$(ids_all)" "$before" "deployments after the refused gestures"
[ ! -e "$MNT/deploy/x" ] || fail "deploy/x exists after a refused dd"
check_current web "$first" "$T/v1.tgz"
log "default limit: 1T refused at once, nothing made: ok"

# 2. A smaller limit: a cp larger than it fails as too_large; up to it
#    works.
stop_daemon
start_daemon -o max_payload=1M
head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/big.bin"
tar -C "$T" -cf "$T/big.tar" big.bin
deploy_fail 'File too large' "$T/big.tar" web
check_failed "$ID" web too_large
assert_match "$(rec "$ID" .error.message)" max_payload "error message"
assert_eq "$(ls -A "$STORE/tmp")" "" "temp files after the failed cp"
check_current web "$first" "$T/v1.tgz"
quick "truncate -s 1025K with max_payload=1M" truncate -s 1025K "$MNT/deploy/web"
make_tgz "$T/v2.tgz" 512
deploy_ok "$T/v2.tgz" web
check_success "$ID" web "$T/v2.tgz"
log "max_payload=1M: larger cp fails too_large, smaller deploys: ok"

# 3. A bad value is refused at start, before mounting.
stop_daemon
run "$DEPLOYFS" -f -o max_payload=lots "$STORE" "$MNT"
assert_eq "$RC" 2 "exit status with max_payload=lots"
assert_match "$ERRTXT" "bad max_payload" "message for max_payload=lots"
! is_mounted "$MNT" || fail "mounted despite a bad max_payload"
finish
