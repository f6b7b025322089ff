#!/bin/bash
# Acceptance 6 of issue 2: the same tarball deployed twice gives two
# records and one blob file, at STORE/blobs/<2 hex>/<sha256>.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
start_daemon

blob_files() { find "$STORE/blobs" -type f | sort; }

make_tgz "$T/a.tgz" 512
h=$(sha "$T/a.tgz")
ids=()
for p in web web other; do
	before=$(ids_all)
	cp "$T/a.tgz" "$MNT/deploy/$p" || fail "cp a.tgz deploy/$p failed"
	id=$(new_id "$before")
	check_success "$id" "$p" "$T/a.tgz"
	ids+=("$id")
done
assert_eq "$(ids_of web | wc -l)" 2 "deployments of web"
[ "${ids[0]}" != "${ids[1]}" ] || fail "both deploys got id ${ids[0]}"
assert_eq "$(blob_files)" "$STORE/blobs/${h:0:2}/$h" "blob files after 3 deploys of one tarball"
assert_cmp "$STORE/blobs/${h:0:2}/$h" "$T/a.tgz" "the blob file"
for id in "${ids[@]}"; do
	assert_cmp "$MNT/deployments/$id/payload" "$T/a.tgz" "$id: payload"
done

# A different tarball is a second blob.
make_tgz "$T/b.tgz" 64
hb=$(sha "$T/b.tgz")
cp "$T/b.tgz" "$MNT/deploy/web" || fail "cp b.tgz deploy/web failed"
assert_eq "$(blob_files | wc -l)" 2 "blob files after a different tarball"
[ -f "$STORE/blobs/${hb:0:2}/$hb" ] || fail "no blob file for b.tgz at blobs/${hb:0:2}/$hb"
assert_cmp "$MNT/deploy/web" "$T/b.tgz" "deploy/web"
for id in "${ids[@]}"; do
	assert_cmp "$MNT/deployments/$id/payload" "$T/a.tgz" "$id: payload after another deploy"
done
# Nothing is left in the store's temp dir (release may run just after cp
# returns, so give it a moment).
tmp_empty() { [ -z "$(ls -A "$STORE/tmp")" ]; }
wait_until 5 tmp_empty || soft_fail "files left in STORE/tmp: $(ls -A "$STORE/tmp")"
log "dedup: ok"

finish
