#!/bin/bash
# A payload read back at the speed of its blob file keeps its proof: a
# full sequential read of a payload whose blob file changed ends in EIO,
# through every path that reads it (deployments/<id>/payload, deploy/<p>,
# projects/<p>/current/payload), with a payload_corrupt audit event — also
# when the blob was read in full, and so proven and marked, before it
# changed. Reads at an offset (tail -c, dd skip=) give the exact bytes.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

# Several MiB: many reads, spliced while the hasher runs beside them.
mkdir "$T/src"
head -c 6M /dev/urandom >"$T/src/data.bin"
tar -C "$T/src" -cf "$T/app.tar" data.bin
rm -rf "$T/src"
deploy_ok "$T/app.tar" app
id=$ID
size=$(fsize "$T/app.tar")
paths=("$MNT/deployments/$id/payload" "$MNT/deploy/app"
	"$MNT/projects/app/current/payload")
# Past the settle time of a mark (core/verified.h), so that the full reads
# below prove the blob and mark it; the test passes either way.
sleep 0.2

# --- 1. intact: every path, twice (the second read is served as proven) --
for p in "${paths[@]}"; do
	assert_cmp "$T/app.tar" "$p" "first full read of ${p#"$MNT"/}"
	assert_cmp "$T/app.tar" "$p" "second full read of ${p#"$MNT"/}"
done
log "1: full reads of an intact payload, every path, twice: ok"

# --- 2. reads at an offset are exact ---------------------------------------
offset_reads() { # WHAT
	local p=${paths[0]}
	assert_eq "$(tail -c 1000 "$p" | sha256sum)" \
		"$(tail -c 1000 "$T/app.tar" | sha256sum)" "$1: tail -c 1000"
	assert_eq "$(dd if="$p" bs=4096 skip=7 count=9 status=none | sha256sum)" \
		"$(dd if="$T/app.tar" bs=4096 skip=7 count=9 status=none | sha256sum)" \
		"$1: dd skip=7 count=9"
	assert_eq "$(dd if="$p" bs=1 skip=$((size - 5)) status=none | od -An -tx1)" \
		"$(dd if="$T/app.tar" bs=1 skip=$((size - 5)) status=none | od -An -tx1)" \
		"$1: dd of the last 5 bytes"
}
offset_reads "intact"
log "2: tail -c, dd skip= of an intact payload: exact: ok"

# --- 3. the blob changes after it was proven: EIO at the end of full reads -
audit_corrupt() {
	jq -r "select(.deployment_id == \"$id\" and .action == \"payload_corrupt\") | .seq" \
		"$MNT/audit.log" | wc -l
}
flip_byte "$(blob_path "$(sha "$T/app.tar")")" $((size / 2))
for p in "${paths[@]}"; do
	run cat "$p"
	[ "$RC" -ne 0 ] || fail "cat ${p#"$MNT"/} of a corrupt blob proven before succeeded"
	assert_match "$ERRTXT" 'Input/output error' "cat ${p#"$MNT"/} of a corrupt payload"
	# The bytes before the end were served; the flipped one among them.
	[ "$(fsize "$T/run.out")" -lt "$size" ] ||
		fail "cat ${p#"$MNT"/}: the read that reached the end was served"
done
noted() { [ "$(audit_corrupt)" -ge 1 ]; }
wait_until 5 noted || fail "no payload_corrupt audit event for $id"
log "3: a blob changed after its proof: EIO from every path, payload_corrupt: ok"

# --- 4. reads at an offset of the corrupt payload stay exact ----------------
# The flipped byte is in the middle; these read around it, unverified.
offset_reads "corrupt"
got=$(dd if="${paths[0]}" bs=1 skip=$((size / 2)) count=1 status=none | od -An -tu1)
want=$(dd if="$T/app.tar" bs=1 skip=$((size / 2)) count=1 status=none | od -An -tu1)
assert_eq "$((got ^ 255))" "$((want))" "dd of the flipped byte: the blob's byte"
log "4: tail -c, dd skip= of a corrupt payload: the blob's exact bytes: ok"

# --- 5. a blob changed before any read: EIO too ------------------------------
mkdir "$T/src"
head -c 3M /dev/urandom >"$T/src/data.bin"
tar -C "$T/src" -cf "$T/b.tar" data.bin
deploy_ok "$T/b.tar" other
flip_byte "$(blob_path "$(sha "$T/b.tar")")" 7000
run cat "$MNT/deployments/$ID/payload"
[[ $RC -ne 0 && $ERRTXT =~ 'Input/output error' ]] ||
	fail "cat of a payload corrupt before its first read: status $RC, '$ERRTXT'"
log "5: a blob changed before its first read: EIO: ok"

child_running "$DPID" || fail "the daemon died"
finish
