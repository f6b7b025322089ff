#!/bin/bash
# Acceptance 3 of issue 2: `rsync -a` deploys through a staging file and a
# rename; the same rsync again transfers and records nothing (the drop box
# shows the payload's size and source_mtime); a changed source deploys
# again; `rsync --inplace` gives exactly the new file; a non-archive makes
# rsync fail and leaves a failed record.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
command -v rsync >/dev/null || fail "rsync is not installed (scripts/deps.sh --test)"
start_daemon

SRC=$T/src
mkdir "$SRC"

# --- rsync -a deploys ----------------------------------------------------
make_tgz "$SRC/app.tgz" 256
touch -d '2024-03-04 05:06:07.250' "$SRC/app.tgz"
before=$(ids_all)
rsync -a "$SRC/app.tgz" "$MNT/deploy/web" 2>"$T/rsync.err" ||
	fail "rsync -a app.tgz deploy/web failed: $(cat "$T/rsync.err")"
id1=$(new_id "$before")
check_success "$id1" web "$SRC/app.tgz"
assert_match "$(rec "$id1" .command)" 'rsync' "command of an rsync deploy"
assert_eq "$(rec "$id1" .source_mtime)" "2024-03-04T05:06:07.250Z" "source_mtime after rsync -a"
assert_cmp "$MNT/deploy/web" "$SRC/app.tgz" "deploy/web after rsync -a"
assert_eq "$(stat -c %s "$MNT/deploy/web")" "$(stat -c %s "$SRC/app.tgz")" "size of deploy/web"
assert_eq "$(stat -c %Y "$MNT/deploy/web")" "$(stat -c %Y "$SRC/app.tgz")" "mtime of deploy/web"
assert_eq "$(link_target "$MNT/projects/web/current")" "../../deployments/$id1" "projects/web/current"
assert_eq "$(ls -A "$MNT/deploy" | grep -c '^\.web\.' || true)" 0 "staging files left in deploy/"

# --- the same rsync again: nothing ----------------------------------------
before=$(ids_all)
rsync -a "$SRC/app.tgz" "$MNT/deploy/web" 2>"$T/rsync.err" ||
	fail "second rsync -a failed: $(cat "$T/rsync.err")"
assert_eq "$(new_ids "$before")" "" "new deployments after the same rsync -a again"
# rsync itself agrees there is nothing to send.
items=$(rsync -a --itemize-changes "$SRC/app.tgz" "$MNT/deploy/web" 2>&1) ||
	fail "third rsync -a failed: $items"
soft_eq "$items" "" "rsync --itemize-changes of an unchanged file"
assert_eq "$(new_ids "$before")" "" "new deployments after rsync -a a third time"

# --- a changed source deploys again ---------------------------------------
make_tgz "$SRC/app.tgz" 300
touch -d '2024-03-05 00:00:00.500' "$SRC/app.tgz"
before=$(ids_all)
rsync -a "$SRC/app.tgz" "$MNT/deploy/web" 2>"$T/rsync.err" ||
	fail "rsync -a of a changed file failed: $(cat "$T/rsync.err")"
id2=$(new_id "$before")
check_success "$id2" web "$SRC/app.tgz"
assert_eq "$(rec "$id2" .source_mtime)" "2024-03-05T00:00:00.500Z" "source_mtime of the new deploy"
assert_cmp "$MNT/deploy/web" "$SRC/app.tgz" "deploy/web after the changed rsync"
assert_eq "$(link_target "$MNT/projects/web/current")" "../../deployments/$id2" "projects/web/current"
log "rsync -a, again, and changed: ok"

# --- rsync --inplace -------------------------------------------------------
# Uncompressed tars of random data, so consecutive versions share most
# blocks and the delta transfer really writes at offsets into a copy of
# the current payload and then truncates.
V=$T/ver
mkdir "$V"
head -c $((1024 * 1024)) /dev/urandom >"$V/a.bin"
head -c $((512 * 1024)) /dev/urandom >"$V/b.bin"
tar -C "$V" -cf "$SRC/inpl.tar" a.bin b.bin
touch -d '2024-04-01 00:00:00' "$SRC/inpl.tar"
before=$(ids_all)
rsync -a "$SRC/inpl.tar" "$MNT/deploy/inpl" 2>"$T/rsync.err" ||
	fail "rsync -a inpl.tar failed: $(cat "$T/rsync.err")"
id3=$(new_id "$before")
check_success "$id3" inpl "$SRC/inpl.tar"
soft_eq "$(rec "$id3" .payload_format)" tar "payload_format of a plain tar"

# v2: a.bin changed in the middle, b.bin gone: shorter, mostly the same.
printf 'CHANGED-IN-PLACE' | dd of="$V/a.bin" bs=1 seek=500000 conv=notrunc status=none
tar -C "$V" -cf "$SRC/inpl.tar" a.bin
touch -d '2024-04-02 00:00:00' "$SRC/inpl.tar"
before=$(ids_all)
rsync -a --inplace --no-whole-file "$SRC/inpl.tar" "$MNT/deploy/inpl" 2>"$T/rsync.err" ||
	fail "rsync --inplace --no-whole-file failed: $(cat "$T/rsync.err")"
id4=$(new_id "$before")
check_success "$id4" inpl "$SRC/inpl.tar" delta
assert_cmp "$MNT/deploy/inpl" "$SRC/inpl.tar" "deploy/inpl after rsync --inplace --no-whole-file"

# v3: longer again, plain --inplace (whole-file, as rsync does locally).
head -c $((300 * 1024)) /dev/urandom >"$V/c.bin"
tar -C "$V" -cf "$SRC/inpl.tar" a.bin c.bin
touch -d '2024-04-03 00:00:00' "$SRC/inpl.tar"
before=$(ids_all)
rsync -a --inplace "$SRC/inpl.tar" "$MNT/deploy/inpl" 2>"$T/rsync.err" ||
	fail "rsync --inplace failed: $(cat "$T/rsync.err")"
id5=$(new_id "$before")
check_success "$id5" inpl "$SRC/inpl.tar" delta
assert_cmp "$MNT/deploy/inpl" "$SRC/inpl.tar" "deploy/inpl after rsync --inplace"
assert_eq "$(rec "$id5" .source_mtime)" "2024-04-03T00:00:00.000Z" "source_mtime after rsync --inplace"
log "rsync --inplace: ok"

# --- a non-archive fails ---------------------------------------------------
{
	echo "not an archive"
	head -c 50000 /dev/urandom
} >"$SRC/junk"
before=$(ids_all)
run rsync -a "$SRC/junk" "$MNT/deploy/web"
[ "$RC" -ne 0 ] || fail "rsync of a non-archive exited 0"
[[ $ERRTXT =~ Bad\ message ]] || soft_fail "rsync stderr lacks 'Bad message': $ERRTXT"
id6=$(new_id "$before")
check_failed "$id6" web not_an_archive
assert_eq "$(link_target "$MNT/projects/web/current")" "../../deployments/$id2" \
	"projects/web/current after a failed rsync"
assert_eq "$(link_target "$MNT/projects/web/latest")" "../../deployments/$id6" \
	"projects/web/latest after a failed rsync"
assert_cmp "$MNT/deploy/web" "$SRC/app.tgz" "deploy/web after a failed rsync"
left=$(ls -A "$MNT/deploy" | grep '^\.web\.' || true)
[ -z "$left" ] || soft_fail "staging file left in deploy/ after the failed rsync: $left"
assert_eq "$(pending_count)" 0 "entries in status/pending"
log "rsync of a non-archive fails: ok"

finish
