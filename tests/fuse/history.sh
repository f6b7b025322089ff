#!/bin/bash
# Issue 3 through the mount and deployctl: drop-payload and rm payload
# (acceptance 3), push (4), audit.log and audit --follow (5), bad input
# (6), and list/show against what the tree shows.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
[ $# -ge 2 ] || fail "usage: $0 deployfs deployctl"
CTL=$(realpath "$2")
export DEPLOYFS_STORE=$STORE DEPLOYFS_MOUNT=$MNT
start_daemon

ctl() { "$CTL" "$@"; }

# --- a scripted scenario ----------------------------------------------
make_tgz "$T/v1.tgz"
make_tgz "$T/v2.tgz"
echo "not an archive" >"$T/junk.txt"
before=$(ids_all)
cp "$T/v1.tgz" "$MNT/deploy/web"
a=$(new_id "$before")
before=$(ids_all)
cp "$T/v1.tgz" "$MNT/deploy/api" # the same bytes: one shared blob
b=$(new_id "$before")
before=$(ids_all)
run cp "$T/junk.txt" "$MNT/deploy/web"
c=$(new_id "$before")
before=$(ids_all)
cp "$T/v2.tgz" "$MNT/deploy/web"
d=$(new_id "$before")

# --- list and show agree with the tree ---------------------------------
ctl list --json >"$T/list.json"
assert_eq "$(jq .total "$T/list.json")" 4 "list: total"
assert_eq "$(jq -r '[.deployments[].deployment_id] | join(" ")' "$T/list.json")" \
	"$d $c $b $a" "list: newest first"
assert_eq "$(ctl list --project web --json | jq .total)" 3 "list --project web: total"
assert_eq "$(ctl list --project web --status failed --json | jq -r '.deployments[0].deployment_id')" \
	"$c" "list --project web --status failed"
assert_eq "$(ctl list --limit 1 --offset 1 --json | jq -r '.deployments[].deployment_id')" \
	"$c" "list --limit 1 --offset 1"
assert_eq "$(ctl list --limit 1 --json | jq .total)" 4 "total counts before paging"
assert_eq "$(ctl list --since 2000-01-01 --until 2000-01-02 --json | jq .total)" 0 \
	"list of a day long gone"
today=$(date -u +%F)
assert_eq "$(ctl list --since "$today" --until "$today" --json | jq .total)" 4 \
	"list --since/--until today (a date as --until is the whole day)"
ctl show "$a" | jq -S . >"$T/show.json"
jq -S . "$MNT/deployments/$a/record.json" >"$T/tree.json"
assert_cmp "$T/show.json" "$T/tree.json" "show ID equals record.json"
assert_eq "$(ctl show "${a:0:13}" | jq -r .deployment_id)" "$a" "show with a unique prefix"
ctl payload "$a" -o "$T/out.bin"
assert_cmp "$T/out.bin" "$T/v1.tgz" "payload -o"
ctl payload "$d" | cmp -s - "$T/v2.tgz" || fail "payload to stdout differs"
log "list/show/payload: ok"

# --- 3. drop-payload and rm payload -----------------------------------
blob() { echo "$STORE/blobs/${1:0:2}/$1"; }
h1=$(sha "$T/v1.tgz")
[ -f "$(blob "$h1")" ] || fail "no blob file for v1"
out=$(ctl drop-payload "$a")
assert_match "$out" ': 0 bytes freed' "drop-payload of a shared blob frees nothing"
[ -f "$(blob "$h1")" ] || fail "a shared blob was removed"
assert_eq "$(rec "$a" .payload_blob_present)" false "dropped: payload_blob_present"
assert_eq "$(rec "$a" .status)" success "dropped: the record is kept"
[ ! -e "$MNT/deployments/$a/payload" ] || fail "dropped payload still in the tree"
expect_fail 'dropped' "payload of a dropped deployment" ctl payload "$a"
rm "$MNT/deployments/$b/payload" # the last holder: the bytes go
[ ! -e "$(blob "$h1")" ] || fail "rm of the last holder left the blob file"
[ ! -e "$MNT/deployments/$b/payload" ] || fail "rm payload: still there"
assert_eq "$(rec "$b" .payload_blob_present)" false "rm payload: payload_blob_present"
out=$(ctl drop-payload "$b")
assert_match "$out" ': 0 bytes freed' "a second drop frees 0"
out=$(ctl --json drop-payload "$d")
assert_eq "$(jq .bytes_freed <<<"$out")" "$(fsize "$T/v2.tgz")" "drop-payload --json: bytes_freed"
log "3: drop-payload, rm payload: ok"

# refused on pending: a writer holds an upload open
mkfifo "$T/fifo"
exec 7<>"$T/fifo"
cat <&7 >"$MNT/deploy/slow" &
bg_pid $!
head -c 4096 "$T/v2.tgz" >&7
has_pending() { [ -n "$(ls "$MNT/status/pending")" ]; }
wait_until 30 has_pending || fail "no pending record within 30 s"
p=$(ls "$MNT/status/pending")
expect_fail 'pending' "drop-payload of a pending deployment" ctl drop-payload "$p"
assert_eq "$(rec "$p" .status)" pending "refused drop leaves the record pending"
exec 7>&-
log "3: refused on pending: ok"

# --- 4. push ------------------------------------------------------------
make_tgz "$T/v3.tgz"
out=$(ctl push web "$T/v3.tgz")
pid=$(awk '{print $1}' <<<"$out")
assert_eq "$(awk '{print $2}' <<<"$out")" success "push: status printed"
assert_eq "$(rec "$pid" .status)" success "push: the record"
assert_eq "$(rec "$pid" .payload_hash)" "$(sha "$T/v3.tgz")" "push: hash"
expect_fail 'not_an_archive' "push of a bad file" ctl push web "$T/junk.txt"
grep -q ' failed$' "$T/run.out" || fail "push of a bad file: no 'failed' status in '$(cat "$T/run.out")'"
log "4: push: ok"

# --- 5. audit.log and audit --follow -----------------------------------
ctl audit --json >"$T/audit.jsonl"
assert_cmp "$MNT/audit.log" "$T/audit.jsonl" "audit.log equals audit --json"
assert_eq "$(fsize "$MNT/audit.log")" "$(wc -c <"$T/audit.jsonl")" "stat size of audit.log"
jq -r '"\(.action) \(.deployment_id)"' "$MNT/audit.log" | head -11 >"$T/actions"
cat >"$T/want" <<WANT
created $a
succeeded $a
created $b
succeeded $b
created $c
failed $c
created $d
succeeded $d
payload_dropped $a
payload_dropped $b
payload_dropped $d
WANT
assert_cmp "$T/actions" "$T/want" "audit.log: the scenario's events in order"
assert_eq "$(jq -s '[.[].seq] == ([.[].seq] | sort) and ([.[].seq] | unique | length) == length' "$MNT/audit.log")" \
	true "audit seq strictly increasing"
assert_match "$(jq -r "select(.action == \"payload_dropped\" and .deployment_id == \"$b\") | .command" "$MNT/audit.log")" \
	'^rm ' "who dropped by rm"
"$CTL" audit --follow --json >"$T/follow.jsonl" &
fpid=$!
bg_pid "$fpid"
sleep 0.5
before=$(ids_all)
cp "$T/v1.tgz" "$MNT/deploy/follow"
e=$(new_id "$before")
wait_until 10 grep -q "\"succeeded\".*\"$e\"\|\"$e\".*\"succeeded\"" "$T/follow.jsonl" ||
	fail "audit --follow did not print the new deployment's events"
grep -q "\"created\"" <(grep "$e" "$T/follow.jsonl") || fail "audit --follow: no created event"
kill "$fpid"
log "5: audit: ok"

# --- 6. bad input -------------------------------------------------------
expect_fail 'unknown command' "unknown command" ctl frobnicate
assert_eq "$RC" 2 "unknown command: exit status"
expect_fail 'not a date' "bad date" ctl list --since 2026-13-45
assert_eq "$RC" 2 "bad date: exit status"
expect_fail 'non-negative' "negative limit" ctl list --limit -5
assert_eq "$RC" 2 "negative limit: exit status"
expect_fail 'no deployment' "unknown id" ctl show 0190f3c2-0000-7000-8000-000000000000
assert_eq "$RC" 1 "unknown id: exit status"
expect_fail 'not a deployment id' "not an id" ctl show xyz
assert_eq "$RC" 2 "not an id: exit status"
expect_fail 'cannot open' "missing store" ctl --store "$T/nowhere" list
assert_eq "$RC" 1 "missing store: exit status"
for cmd in list show payload drop-payload push audit; do
	ctl "$cmd" --help | grep -q "^usage: deployctl $cmd" || fail "$cmd --help"
done
[ "$(wc -l <"$T/run.err")" -le 1 ] || fail "errors are one line"
log "6: bad input: ok"
finish
