#!/bin/sh
# tests/seams.sh SRCDIR — the seams of core/ hold (README: Layout of the
# code): LMDB only behind the catalog interface, backends' private
# headers only in their backends, nothing in the catalog layer looking
# up at the store, and fs/ testing no inode kind. Exit 0 pass, 1 fail.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 1
bad=0
fail() {
	printf '[seams] FAIL: %s\n' "$*" >&2
	bad=1
}

# Every mdb_ call lives in a file whose path says lmdb.
for f in $(grep -rl 'mdb_' core fs tools); do
	case $f in
	*lmdb*) ;;
	*) fail "$f calls LMDB outside the LMDB backend" ;;
	esac
done
# No LMDB header or backend-private header above the interfaces.
for f in $(grep -rlE '#include [<"](lmdb\.h|lmdb_impl\.h|catalog_backend\.h|blobs_backend\.h)[">]' core fs tools); do
	case $f in
	core/lmdb/* | core/catalog.c | core/catalog_backend.h | core/blobs.c | \
	core/blobs_local.c | core/blobs_backend.h | core/pg/*) ;;
	*) fail "$f includes a backend's private header" ;;
	esac
done
# libpq and the PostgreSQL floor's headers only in core/pg: the tree
# reaches deliveries through delivery_pg.h, which any catalog answers.
for f in $(grep -rlE '#include [<"](libpq-fe\.h|pg\.h|pgcat\.h|pg_[a-z_]*\.h)[">]' core fs tools); do
	case $f in
	core/pg/*) ;;
	*) fail "$f includes a PostgreSQL backend header" ;;
	esac
done
# The catalog layer never includes what sits above it.
for f in core/lmdb/* core/catalog.c core/audit.c core/record.c \
	core/include/catalog.h core/include/audit.h core/include/record.h; do
	if grep -qE '#include "(store|store_impl|blobs|deploy|dropbox|tree|project|payload|retention|hook)\.h"' "$f"; then
		fail "$f includes a header above the catalog"
	fi
done
# fs/ unpacks, calls down, replies: the tree routes by inode kind.
if grep -rn 'DFS_INO_\|DFS_NODE_' fs; then
	fail "fs/ tests inode kinds"
fi
[ $bad = 0 ] && echo "[seams] ok"
exit $bad
