#!/bin/bash
# Acceptance 11 of issue 2: while a 2 GiB upload streams (and commits), the
# daemon's RSS stays under 64 MiB; afterwards the record is a success of
# the right size and hash. With the full archive check of issue 4 the
# payload must be a real archive: a plain tar of a sparse 2 GiB file, made
# on the fly (plain tar keeps the CPU low), so the only copy on disk is the
# store's.
set -eu
. "$(dirname "$0")/lib.sh" "$@"

SIZE=$((2 * 1024 * 1024 * 1024))
LIMIT_KB=$((64 * 1024))
# In the sanitizer build, freed blocks wait in a quarantine (256 MiB by
# default) and shadow memory counts in RSS too: a small quarantine and
# some room for the rest still fail memory that grows with the payload.
if [ "${DEPLOYFS_SANITIZED:-0}" = 1 ]; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
	LIMIT_KB=$((96 * 1024))
fi
mkdir "$T/src"
truncate -s "$SIZE" "$T/src/sparse.bin"
touch -d '2024-01-02 03:04:05' "$T/src/sparse.bin"
# The same bytes every time: a 512-byte header, the data, then zeros to
# tar's 10 KiB record.
gen() { tar -C "$T/src" --owner=0 --group=0 --numeric-owner -cf - sparse.bin; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$DPID/status"; }

avail_kb=$(df -Pk "$T" | awk 'NR == 2 { print $4 }')
[ "$avail_kb" -gt $((SIZE / 1024 + 512 * 1024)) ] ||
	fail "need 2.5 GiB free under $T, have $((avail_kb / 1024)) MiB (set DEPLOYFS_TEST_TMPDIR)"

start_daemon
log "daemon RSS at rest: $(rss_kb) kB"
before=$(ids_all)
gen | cat | dd of="$MNT/deploy/big" bs=1M iflag=fullblock status=none 2>"$T/dd.err" &
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
want_size=$(( (512 + SIZE + 1024 + 10239) / 10240 * 10240 ))
assert_eq "$(rec "$id" .status)" success "status of the 2 GiB deploy (error: $(rec "$id" .error))"
assert_eq "$(rec "$id" .payload_size)" "$want_size" "payload_size"
assert_eq "$(rec "$id" .bytes_received)" "$want_size" "bytes_received"
assert_eq "$(fsize "$MNT/deployments/$id/payload")" "$want_size" "stat size of payload"
assert_eq "$(fsize "$MNT/deploy/big")" "$want_size" "stat size of deploy/big"
assert_eq "$(rec "$id" .payload_format)" tar "payload_format"
assert_eq "$(rec "$id" .entries)" 1 "entries"
assert_eq "$(rec "$id" .unpacked_size)" "$SIZE" "unpacked_size"
soft_eq "$(cat "$MNT/deployments/$id/manifest")" "-rw-r--r-- $SIZE sparse.bin" "manifest"
h=$(gen | sha256sum | cut -d' ' -f1)
assert_eq "$(rec "$id" .payload_hash)" "$h" "payload_hash"
assert_eq "$(fsize "$STORE/blobs/${h:0:2}/$h")" "$want_size" "size of the blob file"
# Spot-check the bytes read back: the header and the last MiB.
assert_eq "$(head -c 10 "$MNT/deployments/$id/payload")" sparse.bin "name in the first tar header"
assert_eq "$(dd if="$MNT/deployments/$id/payload" bs=1 skip=257 count=5 status=none)" ustar \
	"ustar magic of the first tar header"
tail -c 1048576 "$MNT/deployments/$id/payload" | cmp -s - <(head -c 1048576 /dev/zero) ||
	fail "the last MiB of the payload is not zeros"
log "2 GiB upload in constant memory: ok"

finish
