#!/bin/bash
# Acceptance 1 and 4 of issue 5: rollback. v1 and v2 succeed, a broken v3
# fails; `deployctl rollback web` (on the store) makes a new success with
# rollback_of = v1, v1's bytes and no new blob file, and current reads v1.
# The tree gesture `ln -sfn ../deployments/<id> deploy/web` and
# `deployctl rollback --mount` do the same through the daemon, through the
# check and the project's hook. Rollback to a failed deployment, to a
# dropped payload or to another project's deployment is refused with a
# clear message and creates nothing.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
[ $# -ge 2 ] || fail "usage: $0 deployfs deployctl"
CTL=$(realpath "$2")
export DEPLOYFS_STORE=$STORE
unset DEPLOYFS_MOUNT
ctl() { "$CTL" "$@"; }
OUT=$T/out
mkdir -p "$OUT"
start_daemon

# STORE/hooks/web runs for every deploy of web, through the mount or not:
# it notes the id and the sha256 of the payload it got on stdin.
write_hook "$STORE/hooks/web" <<EOF2
#!/bin/sh
h=\$(sha256sum | cut -d' ' -f1)
echo "\$DEPLOYFS_ID \$h" >>"$OUT/hook.log"
echo "hook saw \$h"
EOF2
hook_saw() { # ID — the sha256 the hook read for ID
	awk -v id="$1" '$1 == id { print $2 }' "$OUT/hook.log"
}

# check_rollback ID TARGET FILE — ID is a settled success of web that
# rolled back to TARGET: FILE's bytes, from the same blob, hooked.
check_rollback() {
	local id=$1 target=$2 f=$3
	wait_settled "$id" 15
	assert_eq "$(rec "$id" .project)" web "$id: project"
	assert_eq "$(rec "$id" .status)" success "$id: status (error: $(rec "$id" .error))"
	assert_eq "$(rec "$id" .phase)" "done" "$id: phase"
	assert_eq "$(rec "$id" .error)" null "$id: error"
	assert_eq "$(rec "$id" .rollback_of)" "$target" "$id: rollback_of"
	assert_eq "$(rec "$id" .payload_hash)" "$(rec "$target" .payload_hash)" \
		"$id: payload_hash (the target's)"
	assert_eq "$(rec "$id" .payload_hash)" "$(sha "$f")" "$id: payload_hash"
	assert_eq "$(rec "$id" .payload_size)" "$(fsize "$f")" "$id: payload_size"
	assert_eq "$(rec "$id" .payload_blob_present)" true "$id: payload_blob_present"
	assert_cmp "$MNT/deployments/$id/payload" "$f" "$id: deployments/<id>/payload"
	[ -L "$MNT/status/success/$id" ] || fail "$id: no status/success/$id symlink"
	[ -L "$MNT/projects/web/$id" ] || fail "$id: no projects/web/$id symlink"
	check_current web "$id" "$f"
	soft_eq "$(hook_saw "$id")" "$(sha "$f")" \
		"$id: the sha256 of what STORE/hooks/web read on stdin (did the hook run?)"
	grep -q ' deployfs: check passed' "$MNT/deployments/$id/log" ||
		soft_fail "$id: the log of a rollback lacks 'check passed': $(cat "$MNT/deployments/$id/log")"
	jq -r "select(.deployment_id == \"$id\") | .action" "$MNT/audit.log" >"$T/acts"
	soft_eq "$(paste -sd' ' "$T/acts")" "created succeeded" "$id: audit events"
}

# --- the history: v1, v2 succeed; v3 fails ---------------------------------
make_tgz "$T/v1.tgz"
make_tgz "$T/v2.tgz" 96
echo "not an archive" >"$T/junk.txt"
deploy_ok "$T/v1.tgz" web
v1=$ID
wait_settled "$v1" 15
check_success "$v1" web "$T/v1.tgz"
deploy_ok "$T/v2.tgz" web
v2=$ID
wait_settled "$v2" 15
check_success "$v2" web "$T/v2.tgz"
deploy_fail 'Bad message' "$T/junk.txt" web
v3=$ID
check_failed "$v3" web not_an_archive
check_current web "$v2" "$T/v2.tgz"
assert_eq "$(rec "$v1" .rollback_of)" null "rollback_of of a plain deploy"
log "v1 $v1, v2 $v2 succeeded; v3 $v3 failed; current is v2"

# --- 1. deployctl rollback web, on the store --------------------------------
nblobs=$(blob_count)
before=$(ids_all)
run ctl rollback web
[ "$RC" -eq 0 ] || fail "deployctl rollback web: status $RC: $ERRTXT"
r1=$(new_id "$before")
soft_eq "$(cat "$T/run.out")" "$r1 success" "deployctl rollback web: its output"
check_rollback "$r1" "$v1" "$T/v1.tgz"
assert_eq "$(blob_count)" "$nblobs" "blob files after deployctl rollback web"
assert_eq "$(rec "$v1" .payload_blob_present)" true "v1 keeps its payload"
log "1: deployctl rollback web: $r1 rolls back to v1, no new blob: ok"

# --- 1. the tree gesture: ln -sfn ../deployments/<v2> deploy/web -------------
before=$(ids_all)
run ln -sfn "../deployments/$v2" "$MNT/deploy/web"
[ "$RC" -eq 0 ] || fail "ln -sfn ../deployments/$v2 deploy/web: status $RC: $ERRTXT"
r2=$(new_id "$before")
check_rollback "$r2" "$v2" "$T/v2.tgz"
assert_eq "$(blob_count)" "$nblobs" "blob files after ln -sfn"
soft_eq "$(ls -A "$MNT/deploy")" web "entries in deploy/ after ln -sfn"
[ ! -L "$MNT/deploy/web" ] || fail "deploy/web became a symlink"
[[ $(rec "$r2" .command) =~ ^ln\  ]] || soft_fail "$r2: command of the tree gesture: '$(rec "$r2" .command)'"
log "1: ln -sfn ../deployments/v2 deploy/web: $r2 rolls back to v2: ok"

# --- 4. refused: a failed one, a dropped one, another project's ---------------
make_tgz "$T/api.tgz"
deploy_ok "$T/api.tgz" api
api=$ID
check_success "$api" api "$T/api.tgz"
out=$(ctl drop-payload "$v1")
assert_match "$out" ' 0 bytes freed' "drop-payload of v1 (its blob is shared with $r1)"
assert_eq "$(has_payload "$v1")" false "v1 after drop-payload"
nblobs=$(blob_count)

# refused_ctl ERE WHAT ARGS... — deployctl ARGS exits 1 with ERE in stderr
# and creates nothing; web's current (r2, v2's bytes) stands.
refused_ctl() {
	local ere=$1 what=$2 before
	shift 2
	before=$(ids_all)
	expect_fail "$ere" "$what" ctl "$@"
	assert_eq "$RC" 1 "$what: exit status"
	assert_eq "$(ids_all)" "$before" "$what: deployments after the refusal"
	assert_eq "$(blob_count)" "$nblobs" "$what: blob files after the refusal"
	check_current web "$r2" "$T/v2.tgz"
	log "refused ($what): $ERRTXT"
}
# refused_ln ID WHAT — ln -sfn ../deployments/ID deploy/web fails and
# creates nothing.
refused_ln() {
	local before
	before=$(ids_all)
	run ln -sfn "../deployments/$1" "$MNT/deploy/web"
	[ "$RC" -ne 0 ] || fail "$2: ln -sfn ../deployments/$1 deploy/web succeeded"
	assert_match "$ERRTXT" . "$2: ln's stderr"
	assert_eq "$(ids_all)" "$before" "$2: deployments after the refused ln"
	assert_eq "$(blob_count)" "$nblobs" "$2: blob files after the refused ln"
	soft_eq "$(ls -A "$MNT/deploy" | paste -sd' ')" "api web" "$2: entries in deploy/ after the refused ln"
	[ ! -L "$MNT/deploy/web" ] || fail "$2: deploy/web became a symlink"
	check_current web "$r2" "$T/v2.tgz"
	log "refused ($2): $ERRTXT"
}
refused_ctl 'failed' "rollback to the failed v3" rollback web "$v3"
refused_ctl 'failed' "rollback --mount to the failed v3" rollback web "$v3" --mount "$MNT"
refused_ln "$v3" "ln to the failed v3"
refused_ctl 'dropped|no payload' "rollback to v1, dropped" rollback web "$v1"
refused_ctl 'dropped|no payload' "rollback --mount to v1, dropped" rollback web "$v1" --mount "$MNT"
refused_ln "$v1" "ln to v1, dropped"
refused_ctl 'api' "rollback of web to api's deployment" rollback web "$api"
refused_ctl 'api' "rollback --mount of web to api's deployment" rollback web "$api" --mount "$MNT"
refused_ln "$api" "ln to api's deployment"
refused_ctl 'nothing to roll back' "rollback of api (one deployment)" rollback api
refused_ctl 'no project' "rollback of a project never deployed" rollback nosuch
refused_ctl 'no deployment' "rollback to an unknown id" rollback web 0190f3c2-0000-7000-8000-000000000000
expect_fail 'not a project name' "rollback of a bad project name" ctl rollback 'bad/name'
assert_eq "$RC" 2 "rollback of a bad project name: exit status"
assert_eq "$(pending_count)" 0 "entries in status/pending"
assert_eq "$(rec "$v1" .payload_blob_present)" false "v1 stays dropped"
log "4: rollback to failed, dropped, other project's: refused, nothing created: ok"

# The default target skips a success whose payload was dropped: with r1's
# gone, the newest success before current (r2) that has one is v2.
ctl drop-payload "$r1" >/dev/null
[ ! -e "$(blob_path "$(sha "$T/v1.tgz")")" ] || fail "v1's blob file is left with no holder"
before=$(ids_all)
run ctl rollback web
[ "$RC" -eq 0 ] || fail "deployctl rollback web after dropping r1: status $RC: $ERRTXT"
r3=$(new_id "$before")
check_rollback "$r3" "$v2" "$T/v2.tgz"
log "default target skips a dropped payload: $r3 to v2: ok"

# --- 1. deployctl rollback ID --mount, through the daemon ------------------
make_tgz "$T/v4.tgz"
deploy_ok "$T/v4.tgz" web
v4=$ID
wait_settled "$v4" 15
check_success "$v4" web "$T/v4.tgz"
nblobs=$(blob_count)
# A unique prefix of the id is enough, as for show.
before=$(ids_all)
run ctl rollback web "${v2:0:13}" --mount "$MNT"
[ "$RC" -eq 0 ] || fail "deployctl rollback web ${v2:0:13} --mount MNT: status $RC: $ERRTXT"
r4=$(new_id "$before")
# (the hook runs after the rename returns: the record may still be pending)
[[ $(cat "$T/run.out") =~ ^$r4\ (pending|success)$ ]] ||
	soft_fail "deployctl rollback --mount: its output '$(cat "$T/run.out")', want '$r4 pending|success'"
check_rollback "$r4" "$v2" "$T/v2.tgz"
# The default target through $DEPLOYFS_MOUNT: v4, the success before r4.
before=$(ids_all)
run env DEPLOYFS_MOUNT="$MNT" "$CTL" rollback web
[ "$RC" -eq 0 ] || fail "DEPLOYFS_MOUNT=MNT deployctl rollback web: status $RC: $ERRTXT"
r5=$(new_id "$before")
check_rollback "$r5" "$v4" "$T/v4.tgz"
assert_eq "$(blob_count)" "$nblobs" "blob files after rollbacks through the mount"
soft_eq "$(ls -A "$MNT/deploy" | paste -sd' ')" "api web" "entries in deploy/ after rollback --mount"
log "1: deployctl rollback --mount: $r4 to v2, $r5 to v4: ok"

finish
