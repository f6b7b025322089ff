#!/bin/bash
# DESIGN "Many hosts", issue 11 point 7: maintenance in shared mode, two
# daemons on one database. Rollback on host b of a deploy made on a, by
# deployctl and by ln -sfn (the payload fetched into b's cache); retention
# then a deploy drops the older payload, gc removes the database's orphan
# chunks; drop-payload; hooks run on the host that received the deploy;
# a project's mode is enforced on the other host.
set -eu
. "$(dirname "$0")/lib.sh" "$@"
. "$(dirname "$0")/pglib.sh"
DEPLOYCTL=$(realpath "$2")
ctl() { "$DEPLOYCTL" --catalog "$CATALOG" "$@"; }
sql() { psql -qtA "$CATALOG" -c "$1"; }

OUT=$T/out
mkdir -p "$OUT"
for h in a b; do
	write_hook "$T/hook_$h" <<EOF2
#!/bin/sh
echo "\$DEPLOYFS_PROJECT" >>"$OUT/ran_$h"
EOF2
done
start_host_a -o "hook=$T/hook_a,hook_wait,allow_other"
start_host_b -o "hook=$T/hook_b,hook_wait,allow_other"

# --- hooks: on the host that received the deploy --------------------------
make_tgz "$T/v1.tgz" 2048
make_tgz "$T/v2.tgz" 2048
cp "$T/v1.tgz" "$MNT/deploy/web" || fail "cp v1 on a"
cp "$T/v2.tgz" "$MNT/deploy/web" || fail "cp v2 on a"
assert_eq "$(cat "$OUT/ran_a")" "$(printf 'web\nweb')" "hooks on a"
[ ! -e "$OUT/ran_b" ] || fail "a hook ran on b for deploys made on a"

ids=$(ids_of web)
id1=$(printf '%s\n' "$ids" | head -n 1)
id2=$(printf '%s\n' "$ids" | tail -n 1)

# --- rollback through deployctl, then through ln -sfn, on b ---------------
ctl rollback web "$id1" || fail "deployctl rollback on the catalog"
cur=$(link_target "$MNT_B/projects/web/current")
assert_cmp "$MNT_B/deploy/web" "$T/v1.tgz" "deploy/web on b after deployctl rollback"
[ "$cur" != "../../deployments/$id2" ] || fail "current unchanged by rollback"
ln -sfn "../deployments/$id2" "$MNT_B/deploy/web" || fail "ln -sfn on b"
assert_cmp "$MNT_B/deploy/web" "$T/v2.tgz" "deploy/web on b after ln -sfn"
assert_cmp "$MNT_B/deployments/$id2/payload" "$T/v2.tgz" "payload read on b"
[ -n "$(ls -A "$STORE_B/blobs" 2>/dev/null)" ] || fail "nothing in b's cache"
assert_eq "$(grep -c . "$OUT/ran_b")" 1 "the ln -sfn rollback's hook ran on b"
assert_eq "$(grep -c . "$OUT/ran_a")" 2 "no hook on a for b's rollback"

# --- retention, then a deploy; gc counts the database's orphans -----------
ctl retention web --keep-success 1 || fail "retention"
make_tgz "$T/v3.tgz" 2048
cp "$T/v3.tgz" "$MNT_B/deploy/web" || fail "cp v3 on b"
assert_eq "$(jq -r .payload_blob_present "$MNT/deployments/$id1/record.json")" false \
	"v1's payload dropped by retention"
orphans() {
	sql "SELECT count(*) FROM deployfs.chunks c WHERE NOT EXISTS
	     (SELECT 1 FROM deployfs.blob_chunks b WHERE b.chunk = c.hash)"
}
assert_eq "$(orphans)" 0 "orphan chunks once retention dropped v1"
# A chunk no blob holds (a writer cut off before its blob committed).
sql "INSERT INTO deployfs.chunks VALUES (sha256('stray'), 5, 'stray')" ||
	fail "insert a stray chunk"
assert_eq "$(orphans)" 1 "the stray chunk is an orphan"
ctl gc || fail "gc"
assert_eq "$(orphans)" 0 "orphan chunks after gc"
assert_cmp "$MNT/deploy/web" "$T/v3.tgz" "current still reads on a after gc"

# --- drop-payload of the newest, read on the other host -------------------
id3=$(ids_of web | tail -n 1)
ctl drop-payload "$id3" || fail "drop-payload"
assert_eq "$(jq -r .payload_blob_present "$MNT/deployments/$id3/record.json")" false \
	"drop-payload seen on a"
! cat "$MNT/deployments/$id3/payload" >/dev/null 2>&1 ||
	fail "a dropped payload still reads on a"

# --- per-project permissions: a 0644 project made on a, refused on b ------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	make_tgz "$T/s1.tgz"
	cp "$T/s1.tgz" "$MNT/deploy/secret" || fail "cp secret on a"
	chmod 0644 "$MNT/deploy/secret"
	chown 0:0 "$MNT/deploy/secret"
	chmod 711 "$T" # others may reach the mounts, not read the files
	# Another uid may stat the project on b: the refusal is its mode's.
	setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		test -f "$MNT_B/deploy/secret" || fail "nobody cannot see deploy/secret on b"
	if setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		sh -c 'cat >"$1"' _ "$MNT_B/deploy/secret" <"$T/s1.tgz" 2>"$T/perm.err"; then
		fail "another uid deployed to a 0644 project on b"
	fi
	assert_match "$(cat "$T/perm.err")" "Permission denied" "the refusal on b"
	cp "$T/s1.tgz" "$MNT_B/deploy/secret" || fail "its owner deploys on b"
	assert_eq "$(ids_of secret | grep -c .)" 2 "no record from the refused write"
else
	log "not root or no setpriv: the permission part is not run"
fi
finish
