#!/bin/bash
# Acceptance 11 of issue 2: while a 2 GiB upload streams (and commits), the
# daemon's RSS stays under 64 MiB; afterwards the record is a success of
# the right size and hash. The payload is generated on the fly (a gzip
# header, then zeros: validation only sniffs the magic for now), so the
# only copy on disk is the store's.
set -eu
. "$(dirname "$0")/lib.sh" "$@"

SIZE=$((2 * 1024 * 1024 * 1024))
HDR_LEN=10
LIMIT_KB=$((64 * 1024))
gen() {
	printf '\037\213\010\000\000\000\000\000\000\003'
	head -c "$SIZE" /dev/zero
}
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$DPID/status"; }

avail_kb=$(df -Pk "$T" | awk 'NR == 2 { print $4 }')
[ "$avail_kb" -gt $((SIZE / 1024 + 512 * 1024)) ] ||
	fail "need 2.5 GiB free under $T, have $((avail_kb / 1024)) MiB (set DEPLOYFS_TEST_TMPDIR)"

start_daemon
log "daemon RSS at rest: $(rss_kb) kB"
before=$(ids_all)
gen | dd of="$MNT/deploy/big" bs=1M iflag=fullblock status=none 2>"$T/dd.err" &
up=$!
bg_pid "$up"

max=0
samples=0      # while the upload runs
mid_samples=0  # with a pending record that has received some bytes
prev_bytes=-1
grew=0
start=$SECONDS
while child_running "$up"; do
	kb=$(rss_kb) || break
	[ -n "$kb" ] || break
	samples=$((samples + 1))
	[ "$kb" -le "$max" ] || max=$kb
	[ "$kb" -lt "$LIMIT_KB" ] ||
		fail "daemon RSS $kb kB >= $LIMIT_KB kB during the upload (sample $samples)"
	pend=$(ls "$MNT/status/pending" 2>/dev/null | head -n 1 || true)
	if [ -n "$pend" ]; then
		b=$(jq -r .bytes_received "$MNT/deployments/$pend/record.json" 2>/dev/null || echo -1)
		if [ "$b" -gt 0 ] 2>/dev/null; then
			mid_samples=$((mid_samples + 1))
			[ "$prev_bytes" -lt 0 ] || [ "$b" -le "$prev_bytes" ] || grew=1
			prev_bytes=$b
		fi
	fi
	[ $((SECONDS - start)) -lt 200 ] || fail "the 2 GiB upload takes over 200 s"
	sleep 0.25
done
rc=0
wait "$up" || rc=$?
assert_eq "$rc" 0 "exit status of dd of 2 GiB (stderr: $(cat "$T/dd.err"))"
log "upload took $((SECONDS - start)) s; $samples RSS samples ($mid_samples mid-upload), max $max kB"
[ "$mid_samples" -ge 3 ] ||
	fail "only $mid_samples RSS samples taken mid-upload; the test measured nothing"
[ "$grew" -eq 1 ] || soft_fail "bytes_received did not grow while the upload streamed"
kb=$(rss_kb)
[ "$kb" -lt "$LIMIT_KB" ] || fail "daemon RSS $kb kB >= $LIMIT_KB kB after the upload"

id=$(new_id "$before")
want_size=$((SIZE + HDR_LEN))
assert_eq "$(rec "$id" .status)" success "status of the 2 GiB deploy (error: $(rec "$id" .error))"
assert_eq "$(rec "$id" .payload_size)" "$want_size" "payload_size"
assert_eq "$(rec "$id" .bytes_received)" "$want_size" "bytes_received"
assert_eq "$(fsize "$MNT/deployments/$id/payload")" "$want_size" "stat size of payload"
assert_eq "$(fsize "$MNT/deploy/big")" "$want_size" "stat size of deploy/big"
h=$(gen | sha256sum | cut -d' ' -f1)
assert_eq "$(rec "$id" .payload_hash)" "$h" "payload_hash"
assert_eq "$(fsize "$STORE/blobs/${h:0:2}/$h")" "$want_size" "size of the blob file"
# Spot-check the bytes read back: the header and the last MiB.
head -c 16 "$MNT/deployments/$id/payload" | od -An -tx1 | tr -d ' \n' >"$T/head.hex"
assert_eq "$(cat "$T/head.hex")" "1f8b0800000000000003000000000000" "first bytes of the payload"
tail -c 1048576 "$MNT/deployments/$id/payload" | cmp -s - <(head -c 1048576 /dev/zero) ||
	fail "the last MiB of the payload is not zeros"
log "2 GiB upload in constant memory: ok"

finish
