#!/bin/bash
# Acceptance 8 of issue 2: with the store on a 24 MiB tmpfs, a 40 MiB
# upload fails with "No space left on device" and leaves a failed record
# with code no_space; earlier payloads are intact and the next small
# deploy (to the same project) succeeds. Needs root for the tmpfs mount.
set -eu
. "$(dirname "$0")/lib.sh" "$@"

SMALL=$T/small
mkdir "$SMALL"
mount -t tmpfs -o size=24m tmpfs "$SMALL" 2>"$T/mount.err" ||
	fail "cannot mount a tmpfs at $SMALL (this test needs root): $(cat "$T/mount.err")"
at_exit "umount '$SMALL' 2>/dev/null || umount -l '$SMALL'"
STORE=$SMALL/store
start_daemon

make_tgz "$T/first.tgz" 256
before=$(ids_all)
cp "$T/first.tgz" "$MNT/deploy/big" || fail "first small cp failed"
first=$(new_id "$before")
check_success "$first" big "$T/first.tgz"

# 40 MiB that starts like a gzip file (the space runs out long before any
# check of the contents).
{
	printf '\037\213\010\000\000\000\000\000\000\003'
	head -c $((40 * 1024 * 1024)) /dev/urandom
} >"$T/huge.gz"
before=$(ids_all)
expect_fail 'No space left on device' "cp of 40 MiB onto a 24 MiB store" \
	cp "$T/huge.gz" "$MNT/deploy/big"
log "cp said: $ERRTXT"
id=$(new_id "$before")
check_failed "$id" big no_space
assert_eq "$(link_target "$MNT/projects/big/current")" "../../deployments/$first" \
	"projects/big/current after ENOSPC"
assert_cmp "$MNT/deploy/big" "$T/first.tgz" "deploy/big after ENOSPC"
assert_cmp "$MNT/deployments/$first/payload" "$T/first.tgz" "earlier payload after ENOSPC"
assert_eq "$(pending_count)" 0 "entries in status/pending"

# The space comes back and the next deploys work.
make_tgz "$T/next.tgz" 512
before=$(ids_all)
cp "$T/next.tgz" "$MNT/deploy/big" 2>"$T/cp.err" ||
	fail "the next small deploy after ENOSPC failed: $(cat "$T/cp.err"); df: $(df -h "$SMALL" | tail -n 1)"
id2=$(new_id "$before")
check_success "$id2" big "$T/next.tgz"
assert_cmp "$MNT/deploy/big" "$T/next.tgz" "deploy/big after the next deploy"
make_tgz "$T/other.tgz" 512
before=$(ids_all)
cp "$T/other.tgz" "$MNT/deploy/other" || fail "a deploy to another project after ENOSPC failed"
check_success "$(new_id "$before")" other "$T/other.tgz"
log "ENOSPC: ok"

finish
