#!/bin/bash
# Acceptance 1, 2, 9, 10 of issue 2: `cp` deploys and records who did it;
# a non-archive fails the close and keeps `current`; bad names get EINVAL
# and writes outside deploy/ are refused; every record.json is exact,
# valid JSON, and listed in deploy order; no time is 1970.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon
[ -d "$STORE" ] || fail "the daemon did not create the missing store $STORE"

ORDER=() # ids in the order they were deployed

# --- 1. cp app.tar.gz deploy/web --------------------------------------
make_tgz "$T/app.tar.gz" 256
before=$(ids_all)
cp "$T/app.tar.gz" "$MNT/deploy/web" &
cp_pid=$!
rc=0
wait "$cp_pid" || rc=$?
assert_eq "$rc" 0 "cp app.tar.gz deploy/web: exit status"
id1=$(new_id "$before")
ORDER+=("$id1")
assert_eq "$(ids_of web)" "$id1" "ls projects/web after one cp"
# No fleet without a shared catalog: no deliveries/, nodes/ or counts.
assert_eq "$(ls "$MNT/projects/web" | tr '\n' ' ')" "$id1 current latest " "ls projects/web"
[ ! -e "$MNT/projects/web/nodes" ] || fail "projects/web/nodes on a local store"
[ ! -e "$MNT/deployments/$id1/deliveries" ] || fail "deliveries/ on a local store"
ls "$MNT/deployments/$id1" | grep -qx deliveries && fail "deliveries/ listed on a local store"
assert_eq "$(rec "$id1" 'has("deliveries")')" false "record.json's deliveries on a local store"
check_success "$id1" web "$T/app.tar.gz"
assert_eq "$(rec "$id1" .user)" "$(id -un)" "user"
assert_eq "$(rec "$id1" .uid)" "$(id -u)" "uid"
assert_eq "$(rec "$id1" .gid)" "$(id -g)" "gid"
assert_eq "$(rec "$id1" .pid)" "$cp_pid" "pid (of the cp process)"
cmd=$(rec "$id1" .command)
assert_match "$cmd" '^cp ' "command"
assert_match "$cmd" 'app\.tar\.gz' "command"
assert_eq "$(rec "$id1" .payload_format)" tar+gzip "payload_format"
assert_eq "$(rec "$id1" .deployment_id)" "$id1" "deployment_id"
soft_eq "$(rec "$id1" .origin_node)" "$(uname -n)" "origin_node (the host name)"
assert_eq "$(pending_count)" 0 "entries in status/pending"
assert_cmp "$MNT/deploy/web" "$T/app.tar.gz" "reading deploy/web"
assert_eq "$(fsize "$MNT/deploy/web")" "$(fsize "$T/app.tar.gz")" "stat size of deploy/web"
assert_eq "$(link_target "$MNT/projects/web/current")" "../../deployments/$id1" "projects/web/current"
assert_eq "$(link_target "$MNT/projects/web/latest")" "../../deployments/$id1" "projects/web/latest"
assert_eq "$(link_target "$MNT/projects/web/$id1")" "../../deployments/$id1" "projects/web/<id>"
assert_eq "$(link_target "$MNT/status/success/$id1")" "../../deployments/$id1" "status/success/<id>"
assert_cmp "$MNT/projects/web/current/payload" "$T/app.tar.gz" "projects/web/current/payload"
cp "$MNT/deployments/$id1/record.json" "$T/record1.json"
log "1: cp deploys: ok"

# --- 2. a file that is not an archive ---------------------------------
{
	echo "this is not an archive"
	head -c 100000 /dev/urandom
} >"$T/junk.bin"
before=$(ids_all)
expect_fail 'Bad message' "cp of a non-archive" cp "$T/junk.bin" "$MNT/deploy/web"
id2=$(new_id "$before")
ORDER+=("$id2")
check_failed "$id2" web not_an_archive
assert_eq "$(link_target "$MNT/projects/web/current")" "../../deployments/$id1" \
	"projects/web/current after a failed deploy"
assert_eq "$(link_target "$MNT/projects/web/latest")" "../../deployments/$id2" \
	"projects/web/latest after a failed deploy"
assert_cmp "$MNT/deploy/web" "$T/app.tar.gz" "deploy/web after a failed deploy"
assert_eq "$(fsize "$MNT/deploy/web")" "$(fsize "$T/app.tar.gz")" \
	"stat size of deploy/web after a failed deploy"
assert_cmp "$MNT/projects/web/current/payload" "$T/app.tar.gz" \
	"projects/web/current/payload after a failed deploy"
assert_eq "$(ids_of web | sort | tr '\n' ' ')" "$(printf '%s\n' "$id1" "$id2" | sort | tr '\n' ' ')" \
	"ls projects/web"
assert_eq "$(pending_count)" 0 "entries in status/pending"
log "2: non-archive fails, current kept: ok"

# --- 9. bad names get EINVAL ------------------------------------------
long128=$(printf 'a%.0s' {1..128})
long129=${long128}b
long200=$(printf 'x%.0s' {1..200})
before=$(ids_all)
for name in "a b" "-x" "_x" $'.tab\there' "$long129" "$long200"; do
	expect_fail 'Invalid argument' "cp to deploy/'$name'" \
		cp "$T/app.tar.gz" "$MNT/deploy/$name"
	[ ! -e "$MNT/deploy/$name" ] || fail "deploy/'$name' exists after EINVAL"
done
expect_fail 'Invalid argument' "touch deploy/'a b'" touch "$MNT/deploy/a b"
assert_eq "$(new_ids "$before")" "" "new deployments after bad names"

# The longest valid name (128 characters) deploys.
make_tgz "$T/long.tgz"
before=$(ids_all)
cp "$T/long.tgz" "$MNT/deploy/$long128" || fail "cp to a 128-character project name failed"
id3=$(new_id "$before")
ORDER+=("$id3")
check_success "$id3" "$long128" "$T/long.tgz"

# Writes outside deploy/ are refused.
RO='Read-only file system|Permission denied'
expect_fail "$RO" "create at the mount root" cp "$T/app.tar.gz" "$MNT/newfile"
expect_fail "$RO" "create in deployments/" cp "$T/app.tar.gz" "$MNT/deployments/newfile"
expect_fail "$RO" "create in deployments/<id>/" cp "$T/app.tar.gz" "$MNT/deployments/$id1/extra"
expect_fail "$RO" "overwrite record.json" cp "$T/junk.bin" "$MNT/deployments/$id1/record.json"
expect_fail "$RO" "append to record.json" bash -c 'echo x >>"$1"' _ "$MNT/deployments/$id1/record.json"
expect_fail "$RO" "overwrite payload" cp "$T/junk.bin" "$MNT/deployments/$id1/payload"
expect_fail "$RO" "create in projects/web/" cp "$T/app.tar.gz" "$MNT/projects/web/newfile"
expect_fail "$RO" "create in status/success/" cp "$T/app.tar.gz" "$MNT/status/success/newfile"
expect_fail "$RO" "mkdir at the mount root" mkdir "$MNT/newdir"
expect_fail "$RO" "mkdir in deployments/" mkdir "$MNT/deployments/newdir"
run rm -f "$MNT/deployments/$id1/record.json"
[ "$RC" -ne 0 ] || soft_fail "rm of deployments/<id>/record.json succeeded"
assert_cmp "$MNT/deployments/$id1/record.json" "$T/record1.json" "record.json after refused writes"
assert_cmp "$MNT/deployments/$id1/payload" "$T/app.tar.gz" "payload after refused writes"
log "9: bad names and writes outside deploy/ refused: ok"

# --- cp -p: utimens sets source_mtime and the drop box's mtime --------
make_tgz "$T/dated.tgz"
touch -d '2024-01-02 03:04:05.678' "$T/dated.tgz"
before=$(ids_all)
cp -p "$T/dated.tgz" "$MNT/deploy/api" || fail "cp -p to deploy/api failed"
id4=$(new_id "$before")
ORDER+=("$id4")
check_success "$id4" api "$T/dated.tgz"
soft_eq "$(rec "$id4" .source_mtime)" "2024-01-02T03:04:05.678Z" "source_mtime after cp -p"
soft_eq "$(stat -c %Y "$MNT/deploy/api")" "$(stat -c %Y "$T/dated.tgz")" "mtime of deploy/api after cp -p"

# --- 10. records are exact, valid JSON, in order, with real times ------
ISO='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
UUID7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
assert_eq "$(ids_all)" "$(printf '%s\n' "${ORDER[@]}")" "ls deployments (deploy order)"
for id in $(ids_all); do
	j=$MNT/deployments/$id/record.json
	assert_match "$id" "$UUID7" "deployment id (UUIDv7)"
	assert_eq "$(stat -c %s "$j")" "$(cat "$j" | wc -c)" "$id: stat size of record.json vs its bytes"
	jq -e . "$j" >/dev/null || fail "$id: record.json does not parse with jq"
	assert_eq "$(rec "$id" .deployment_id)" "$id" "$id: deployment_id"
	started=$(rec "$id" .started_at)
	completed=$(rec "$id" .completed_at)
	assert_match "$started" "$ISO" "$id: started_at"
	assert_match "$completed" "$ISO" "$id: completed_at"
	[[ ! $completed < $started ]] || fail "$id: completed_at $completed before started_at $started"
	[ "${started:0:4}" -ge 2020 ] || fail "$id: started_at $started"
	soft_eq "$(stat -c %Y "$MNT/deployments/$id")" "$(date -d "$started" +%s)" \
		"$id: mtime of deployments/<id> vs started_at"
done
# No time shown anywhere in the tree is 1970 (symlinks' own times too).
old=$(find "$MNT" -printf '%TY %CY %AY %p\n' | awk '$1 < 2020 || $2 < 2020 || $3 < 2020')
[ -z "$old" ] || fail "entries with times before 2020:"$'\n'"$old"
old=$(ls -lR --time-style=+%Y "$MNT" | awk '$6 == "1970"')
[ -z "$old" ] || fail "ls -l shows 1970:"$'\n'"$old"

# Stable inode numbers (same entry, same number; different entries differ).
i1=$(stat -c %i "$MNT/deployments/$id1/record.json")
i2=$(stat -c %i "$MNT/deployments/$id1/payload")
ls -R "$MNT" >/dev/null
soft_eq "$(stat -c %i "$MNT/deployments/$id1/record.json")" "$i1" "inode of record.json, asked twice"
[ "$i1" != "$i2" ] || soft_fail "record.json and payload share inode $i1"
log "10: records well-formed and ordered: ok"

finish
