#!/bin/bash
# Acceptance 2 and 3 of issue 5, and gc of orphans. With --keep-success 2
# only the newest two successes, current and a pinned one keep payloads
# after each commit, and every record stays; a policy set after the
# deploys is what `gc --dry-run` predicts and `gc` then does, line for
# line and byte for byte. A flipped byte in a blob file: verify exits 1
# naming the deployment, a full read of its payload fails with EIO, and an
# audit event says payload_corrupt; a deleted blob file is reported
# missing. gc removes orphan blob files (not fresh ones while a daemon
# runs) and, with no daemon, temp files; the real blobs stay.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
[ $# -ge 2 ] || fail "usage: $0 deployfs deployctl"
CTL=$(realpath "$2")
export DEPLOYFS_STORE=$STORE
unset DEPLOYFS_MOUNT
ctl() { "$CTL" "$@"; }
start_daemon

# deploy_n PROJECT FILE — a successful deploy; its id goes to $ID.
deploy_n() {
	deploy_ok "$2" "$1"
	check_success "$ID" "$1" "$2"
}
# payloads ID... — "t" or "f" per id: whether each holds its payload.
payloads() {
	local id out=
	for id in "$@"; do
		case $(has_payload "$id") in
		true) out+=t ;;
		false) out+=f ;;
		*) fail "$id: $(has_payload "$id")" ;;
		esac
	done
	echo "$out"
}
# audit_of ID ACTION — how many ACTION events audit.log holds for ID.
audit_of() {
	jq -r "select(.deployment_id == \"$1\" and .action == \"$2\") | .seq" \
		"$MNT/audit.log" | wc -l
}

# --- 2. --keep-success 2, applied after every commit --------------------------
out=$(ctl retention web --keep-success 2)
[[ $out =~ 'keep-success 2' ]] || soft_fail "retention web --keep-success 2: its output '$out'"
soft_eq "$(ctl --json retention web | jq -c '[.set, .keep_success, .keep_days, .max_bytes]')" \
	'[true,2,0,0]' "retention --json web"
soft_eq "$(ctl --json retention | jq .set)" false "the store's default policy is unset"
for i in 1 2 3 4 5 6; do
	make_tgz "$T/p$i.tgz" $((40 + i))
done
deploy_n web "$T/p1.tgz"
p1=$ID
deploy_n web "$T/p2.tgz"
p2=$ID
soft_eq "$(ctl pin "$p2")" "$p2 pinned" "deployctl pin: its output"
soft_eq "$(rec "$p2" .pinned)" true "$p2: pinned in record.json"
deploy_n web "$T/p3.tgz"
p3=$ID
deploy_n web "$T/p4.tgz"
p4=$ID
deploy_n web "$T/p5.tgz"
p5=$ID
# (the policy may be applied just after the commit: give it a moment)
state() { payloads "$p1" "$p2" "$p3" "$p4" "$p5"; }
state_is() { [ "$(state)" = "$1" ]; }
wait_until 5 state_is ftftt || true
assert_eq "$(state)" ftftt "payloads of p1..p5 (keep 2 + pinned p2)"
for id in "$p1" "$p2" "$p3" "$p4" "$p5"; do
	assert_eq "$(rec "$id" .status)" success "$id: the record stays"
done
assert_eq "$(ids_of web | wc -l)" 5 "records of web"
for i in 1 3; do
	[ ! -e "$(blob_path "$(sha "$T/p$i.tgz")")" ] || fail "the blob file of p$i is still there"
done
for i in 2 4 5; do
	assert_cmp "$(blob_path "$(sha "$T/p$i.tgz")")" "$T/p$i.tgz" "the blob file of p$i"
done
check_current web "$p5" "$T/p5.tgz"
assert_eq "$(audit_of "$p2" pinned)" 1 "audit events 'pinned' of p2"
assert_eq "$(audit_of "$p1" payload_dropped)$(audit_of "$p3" payload_dropped)" 11 \
	"audit events 'payload_dropped' of p1 and p3"
log "2: keep-success 2 after each commit: p1, p3 dropped; pinned p2, p4, p5 kept: ok"

# Unpinned, p2 goes at the next commit, with p4.
soft_eq "$(ctl unpin "$p2")" "$p2 unpinned" "deployctl unpin: its output"
assert_eq "$(audit_of "$p2" unpinned)" 1 "audit events 'unpinned' of p2"
deploy_n web "$T/p6.tgz"
p6=$ID
state() { payloads "$p1" "$p2" "$p3" "$p4" "$p5" "$p6"; }
wait_until 5 state_is fffftt || true
assert_eq "$(state)" fffftt "payloads of p1..p6 after unpin p2 and deploy p6"
assert_eq "$(ids_of web | wc -l)" 6 "records of web"
log "2: unpinned p2 dropped at the next commit: ok"

# --- 2. gc --dry-run predicts exactly what gc frees ---------------------------
# api has no policy (the store's is unset): everything stays until one is
# set. q1 and q3 share a blob; q0 shares web's current p6's.
make_tgz "$T/a.tgz" 50
make_tgz "$T/b.tgz" 51
make_tgz "$T/c.tgz" 52
make_tgz "$T/d.tgz" 53
deploy_n api "$T/p6.tgz"
q0=$ID
deploy_n api "$T/a.tgz"
q1=$ID
deploy_n api "$T/b.tgz"
q2=$ID
deploy_n api "$T/a.tgz"
q3=$ID
deploy_n api "$T/c.tgz"
q4=$ID
deploy_n api "$T/d.tgz"
q5=$ID
qs=("$q0" "$q1" "$q2" "$q3" "$q4" "$q5")
assert_eq "$(payloads "${qs[@]}")" tttttt "api's payloads with no policy"
ctl pin "$q2" >/dev/null
ctl retention api --keep-success 2 >/dev/null
blob_files >"$T/blobs.before"
ctl gc --dry-run >"$T/dry.txt"
ctl --json gc --dry-run >"$T/dry.json"
log "gc --dry-run said:"
cat "$T/dry.txt" >&2
assert_eq "$(payloads "${qs[@]}")" tttttt "api's payloads after gc --dry-run"
blob_files | cmp -s - "$T/blobs.before" || fail "gc --dry-run changed STORE/blobs"
# Oldest first: q0, q1, q3. q0 shares p6's blob, which stays: it frees 0;
# q1 and q3 share one blob, freed once between them.
sa=$(fsize "$T/a.tgz")
printf '%s  api  %s bytes\n' "$q0" "$(fsize "$T/p6.tgz")" "$q1" "$sa" "$q3" "$sa" >"$T/want.txt"
grep -E '^would drop [0-9a-f]{8}-' "$T/dry.txt" >"$T/dry.lines" || true
sed -E 's/^would drop //; s/, [0-9]+ freed$//' "$T/dry.lines" >"$T/dry.what"
if ! cmp -s "$T/dry.what" "$T/want.txt"; then
	diff "$T/want.txt" "$T/dry.what" >&2 || true
	fail "gc --dry-run: the drops (diff above: < expected, > got)"
fi
assert_eq "$(awk '{ s += $(NF - 1) } END { print s }' "$T/dry.lines")" "$sa" \
	"gc --dry-run: the sum of the bytes each drop frees"
assert_match "$(head -n 1 "$T/dry.lines")" ' 0 freed$' "gc --dry-run: q0 (its blob is shared with web's current) frees"
assert_match "$(tail -n 1 "$T/dry.txt")" "^would drop 3 payload\(s\), $sa bytes freed; 0 orphan blob\(s\), 0 bytes; 0 temp file\(s\), 0 bytes" \
	"gc --dry-run: its summary"
jq -c 'select(has("drop")) | [.drop, .project, .size, .freed]' "$T/dry.json" >"$T/dry.jdrops"
awk '{ gsub(/,/, ""); printf "[\"%s\",\"%s\",%s,%s]\n", $3, $4, $5, $7 }' "$T/dry.lines" >"$T/dry.tdrops"
assert_cmp "$T/dry.jdrops" "$T/dry.tdrops" "gc --dry-run: --json drops vs text drops"
assert_eq "$(jq -c 'select(has("dry_run")) | [.dry_run, .payloads, .bytes_freed, .orphan_blobs, .temp_files]' "$T/dry.json")" \
	"[true,3,$sa,0,0]" "gc --dry-run --json: its summary"
assert_eq "$(ctl gc --dry-run --project web | grep -c "api" || true)" 0 \
	"gc --dry-run --project web lists api's payloads"

ctl gc >"$T/gc.txt"
log "gc said:"
cat "$T/gc.txt" >&2
sed 's/^would drop /dropped /' "$T/dry.txt" >"$T/dry.as-gc"
if ! cmp -s "$T/dry.as-gc" "$T/gc.txt"; then
	diff "$T/dry.as-gc" "$T/gc.txt" >&2 || true
	fail "gc did not do what gc --dry-run predicted (diff above: < predicted, > done)"
fi
assert_eq "$(payloads "${qs[@]}")" fftftt "api's payloads after gc (q2 pinned)"
for id in "${qs[@]}"; do
	assert_eq "$(rec "$id" .status)" success "$id: the record stays after gc"
done
blob_files >"$T/blobs.after"
assert_eq "$(comm -23 "$T/blobs.before" "$T/blobs.after")" "$(blob_path "$(sha "$T/a.tgz")")" \
	"the blob files gc removed"
assert_eq "$(comm -13 "$T/blobs.before" "$T/blobs.after")" "" "blob files gc added"
check_current api "$q5" "$T/d.tgz"
check_current web "$p6" "$T/p6.tgz"
assert_cmp "$MNT/deployments/$q2/payload" "$T/b.tgz" "the pinned q2's payload"
assert_match "$(ctl gc --dry-run | tail -n 1)" '^would drop 0 payload\(s\), 0 bytes freed' \
	"gc --dry-run after gc"
log "2: gc --dry-run predicted what gc did: q0, q1, q3 dropped, $sa bytes freed: ok"

# --- 3. a flipped byte; a deleted blob file -----------------------------------------
run ctl verify
[ "$RC" -eq 0 ] || fail "verify of a sound store: status $RC: $(cat "$T/run.out") $ERRTXT"
assert_eq "$(cat "$T/run.out")" "" "verify of a sound store: its output"
make_tgz "$T/k1.tgz"
make_tgz "$T/k2.tgz" 200
deploy_n vfy "$T/k1.tgz"
k1=$ID
deploy_n vfy "$T/k2.tgz"
k2=$ID
h2=$(sha "$T/k2.tgz")
flip_byte "$(blob_path "$h2")" $(($(fsize "$T/k2.tgz") / 2))
run ctl verify
log "verify after the flip: status $RC: $(cat "$T/run.out") / $ERRTXT"
assert_eq "$RC" 1 "verify after a flipped byte: exit status"
assert_eq "$(cat "$T/run.out")" "$k2 vfy: payload wrong hash (blobs/${h2:0:2}/$h2)" \
	"verify after a flipped byte: its output"
run ctl verify "$k2"
assert_eq "$RC" 1 "verify ID of the corrupt one: exit status"
run ctl verify "$k1"
assert_eq "$RC" 0 "verify ID of a sound one: exit status"
run ctl verify --project web
assert_eq "$RC" 0 "verify --project web: exit status"
run ctl verify --project vfy
assert_eq "$RC" 1 "verify --project vfy: exit status"
assert_eq "$(ctl --json verify | jq -c '[.deployment_id, .project, .problem]' || true)" \
	"[\"$k2\",\"vfy\",\"wrong hash\"]" "verify --json after a flipped byte"

run cat "$MNT/deployments/$k2/payload"
[ "$RC" -ne 0 ] || fail "cat deployments/<id>/payload of a corrupt blob succeeded"
assert_match "$ERRTXT" 'Input/output error' "cat of a corrupt payload: its error"
corrupt_noted() { [ "$(audit_of "$k2" payload_corrupt)" -ge 1 ]; }
wait_until 5 corrupt_noted ||
	fail "no audit event payload_corrupt for $k2 (audit.log: $(tail -n 3 "$MNT/audit.log"))"
ctl --json audit --project vfy >"$T/audit.vfy"
assert_eq "$(jq -r "select(.action == \"payload_corrupt\") | .deployment_id" "$T/audit.vfy" | sort -u)" \
	"$k2" "deployctl audit: payload_corrupt events"
jq -c "select(.action == \"payload_corrupt\")" "$T/audit.vfy" >&2
# The drop box reads the current payload, from the same blob.
run cat "$MNT/deploy/vfy"
[[ $RC -ne 0 && $ERRTXT =~ 'Input/output error' ]] ||
	soft_fail "cat deploy/vfy of a corrupt current payload: status $RC, stderr '$ERRTXT'"
# A read that is not a full sequential one is not refused.
dd if="$MNT/deployments/$k2/payload" of="$T/part" bs=1024 count=4 status=none ||
	soft_fail "dd of the first 4 KiB of a corrupt payload failed"
log "3: a flipped byte: verify exit 1, cat EIO, audit payload_corrupt: ok"

h1=$(sha "$T/k1.tgz")
rm "$(blob_path "$h1")"
run ctl verify
assert_eq "$RC" 1 "verify after a blob file was deleted: exit status"
grep -qxF "$k1 vfy: payload missing (blobs/${h1:0:2}/$h1)" "$T/run.out" ||
	fail "verify after a deleted blob file: no 'missing' line for $k1 in '$(cat "$T/run.out")'"
assert_eq "$(wc -l <"$T/run.out")" 2 "verify: lines with a corrupt and a missing blob"
run ctl verify "$k1"
assert_eq "$RC" 1 "verify ID of a missing blob: exit status"
assert_eq "$(cat "$T/run.out")" "$k1 vfy: payload missing (blobs/${h1:0:2}/$h1)" "verify ID of a missing blob"
run cat "$MNT/deployments/$k1/payload"
[ "$RC" -ne 0 ] || soft_fail "cat of a payload whose blob file is gone succeeded"
log "3: a deleted blob file: verify says missing: ok"

# A blob file grown by a byte: wrong size.
make_tgz "$T/k3.tgz"
deploy_n vfy2 "$T/k3.tgz"
k3=$ID
h3=$(sha "$T/k3.tgz")
printf x >>"$(blob_path "$h3")"
run ctl verify "$k3"
assert_eq "$RC" 1 "verify of a grown blob file: exit status"
assert_match "$(cat "$T/run.out")" "^$k3 vfy2: payload wrong size" "verify of a grown blob file"

# --- orphans: blob files no record refers to; temp files ----------------------
blob_files >"$T/blobs.real"
fake=aa$(head -c 64 /dev/urandom | sha256sum | cut -c3-64)
mkdir -p "$STORE/blobs/aa"
head -c 1234 /dev/urandom >"$STORE/blobs/aa/$fake"
chmod 0400 "$STORE/blobs/aa/$fake"
tmpf=$STORE/tmp/01a21a25-f0fa-7077-8b7e-34e1e3754caa
head -c 4321 /dev/urandom >"$tmpf"
# While the daemon serves the store: a fresh orphan (it might be a blob
# whose record is about to commit) and temp files are left alone.
out=$(ctl --json gc | jq -c 'select(has("dry_run")) | [.orphan_blobs, .temp_files]')
assert_eq "$out" "[0,0]" "gc --json with a daemon: orphan blobs and temp files removed"
[ -f "$STORE/blobs/aa/$fake" ] || fail "gc removed a fresh orphan blob while the daemon runs"
[ -f "$tmpf" ] || fail "gc removed a temp file while the daemon runs"
assert_match "$(ctl gc | tail -n 1)" 'daemon' "gc with a daemon: its summary says so"

stop_daemon
ctl gc --dry-run >"$T/odry.txt"
assert_match "$(tail -n 1 "$T/odry.txt")" \
	'^would drop 0 payload\(s\), 0 bytes freed; 1 orphan blob\(s\), 1234 bytes; 1 temp file\(s\), 4321 bytes$' \
	"gc --dry-run with no daemon: its summary"
[[ -f $STORE/blobs/aa/$fake && -f $tmpf ]] || fail "gc --dry-run removed files"
ctl --json gc >"$T/ogc.json"
assert_eq "$(jq -c 'select(has("dry_run")) | [.dry_run, .payloads, .orphan_blobs, .orphan_blob_bytes, .temp_files, .temp_bytes]' "$T/ogc.json")" \
	"[false,0,1,1234,1,4321]" "gc --json with no daemon: its summary"
[ ! -e "$STORE/blobs/aa/$fake" ] || fail "gc left the orphan blob file"
[ ! -e "$tmpf" ] || fail "gc left the temp file"
blob_files | cmp -s - "$T/blobs.real" || {
	diff "$T/blobs.real" <(blob_files) >&2 || true
	fail "gc touched real blob files (diff above)"
}
assert_match "$(ctl gc | tail -n 1)" '; 0 orphan blob\(s\), 0 bytes; 0 temp file\(s\), 0 bytes$' \
	"a second gc"
log "orphans: a fresh one kept under a daemon; with none, orphan blob and temp file removed: ok"

start_daemon
check_current web "$p6" "$T/p6.tgz"
check_current api "$q5" "$T/d.tgz"
assert_cmp "$MNT/deployments/$q2/payload" "$T/b.tgz" "q2's payload after gc and a restart"
finish
