#!/bin/bash
# deployctl payload proves the bytes it streams: a flipped byte in a blob
# file fails it (exit 1, a message naming the deployment and 'deployctl
# verify', a payload_corrupt audit event, no output file left), while an
# intact payload streams byte for byte.
. "$(dirname "$0")/lib.sh" "$@"

S=$T/store
"$GEN" --store "$S" -n 40
list=$("$CTL" --store "$S" --json list --status success)
bad=$(jq -r '.deployments[0].deployment_id' <<<"$list")
badhash=$(jq -r '.deployments[0].payload_hash' <<<"$list")
good=$(jq -r --arg h "$badhash" \
	'[.deployments[] | select(.payload_hash != $h)][0].deployment_id' <<<"$list")
goodhash=$("$CTL" --store "$S" show "$good" | jq -r .payload_hash)
[ -n "$good" ] && [ "$good" != null ] || fail "no second payload in the store"

# Intact: the bytes of the blob, to stdout and to a file.
blob() { printf '%s/blobs/%s/%s\n' "$S" "${1:0:2}" "$1"; }
"$CTL" --store "$S" payload "$good" >"$T/good.out"
cmp -s "$T/good.out" "$(blob "$goodhash")" || fail "payload of $good differs from its blob"
"$CTL" --store "$S" payload "$good" -o "$T/good.file"
cmp -s "$T/good.file" "$(blob "$goodhash")" || fail "payload -o of $good differs"

# One byte flipped in the middle of the blob file.
f=$(blob "$badhash")
chmod u+w "$f"
python3 - "$f" <<'PY'
import sys
with open(sys.argv[1], "r+b") as fh:
    fh.seek(2000)
    b = fh.read(1)
    fh.seek(2000)
    fh.write(bytes([b[0] ^ 0xff]))
PY
chmod 0400 "$f"
events() {
	"$CTL" --store "$S" --json audit |
		jq -r --arg id "$bad" 'select(.action == "payload_corrupt" and .deployment_id == $id) | .seq' |
		wc -l
}
assert_eq "$(events)" 0 "payload_corrupt events before reading"
expect 1 "$bad \(project proj-[0-9]+\): the stored payload does not match its payload_hash.*deployctl verify" \
	"payload of a corrupt blob" "$CTL" --store "$S" payload "$bad"
assert_eq "$(events)" 1 "payload_corrupt events after one read"
expect 1 "does not match its payload_hash" "payload -o of a corrupt blob" \
	"$CTL" --store "$S" payload "$bad" -o "$T/bad.file"
[ ! -e "$T/bad.file" ] || fail "the corrupt copy $T/bad.file was left behind"
assert_eq "$(events)" 2 "payload_corrupt events after two reads"

# verify agrees; the intact payload still streams.
expect 1 "problem" "verify" "$CTL" --store "$S" verify
[[ $OUT == *"$bad"* ]] || fail "verify does not name $bad: $OUT"
run "$CTL" --store "$S" payload "$good" -o "$T/good.again"
assert_eq "$RC" 0 "intact payload after the corruption (stderr: $ERRTXT)"

# A missing blob file: exit 1, no output file.
chmod u+w "$(dirname "$f")"
rm -f "$f"
expect 1 "$bad: the payload's blob is missing" "payload of a missing blob" \
	"$CTL" --store "$S" payload "$bad" -o "$T/missing.file"
[ ! -e "$T/missing.file" ] || fail "an output file was made for a missing blob"
finish
