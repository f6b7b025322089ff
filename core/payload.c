/* payload — dropping and pinning payloads (see catalog.h). */
#include <errno.h>
#include <string.h>

#include "blob.h"
#include "catalog_impl.h"

/* A policy never drops a pinned payload or its project's current. */
static int kept_by_policy(struct dfs_store *st, MDB_txn *txn,
			  const struct dfs_record *rec)
{
	struct dfs_project p;
	int rc;

	if (rec->pinned)
		return -EBUSY;
	rc = dfs_project_get_txn(st, txn, rec->project, &p);
	if (!rc && p.has_current && memcmp(p.current, rec->id, 16) == 0)
		rc = -EBUSY;
	return rc;
}

static int drop_payload(struct dfs_store *st, const uint8_t id[16],
			const struct dfs_who *actor, bool policy,
			uint64_t *freed)
{
	struct dfs_record rec;
	MDB_val k, v;
	MDB_txn *txn;
	bool last;
	int rc;

	rc = dfs_store_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_record_get_txn(st, txn, id, &rec);
	if (!rc && rec.status == DFS_STATUS_PENDING)
		rc = -EBUSY;
	if (!rc && policy)
		rc = kept_by_policy(st, txn, &rec);
	if (rc || !(rec.has_hash && rec.payload_blob_present)) {
		mdb_txn_abort(txn);
		if (!rc)
			*freed = 0;
		return rc;
	}
	rec.payload_blob_present = false;
	rc = dfs_catalog_update_txn(st, txn, &rec, NULL, actor);
	if (rc)
		goto out_abort;
	k = (MDB_val){32, rec.payload_hash};
	rc = mdb_get(txn, st->blobs, &k, &v);
	last = rc == MDB_NOTFOUND;
	if (rc && !last) {
		rc = dfs_store_lmdb_err(rc);
		goto out_abort;
	}
	rc = dfs_store_commit(txn);
	if (rc)
		return rc;
	/* Unreferenced now: a crash before this leaves an orphan for gc. */
	*freed = 0;
	if (last && dfs_blob_remove(st, rec.payload_hash) == 0)
		*freed = rec.payload_size;
	return 0;

out_abort:
	mdb_txn_abort(txn);
	return rc;
}

int dfs_catalog_set_pinned(struct dfs_store *st, const uint8_t id[16], bool on,
			   const struct dfs_who *actor)
{
	struct dfs_record r;
	MDB_txn *txn;
	int rc;

	rc = dfs_store_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_record_get_txn(st, txn, id, &r);
	if (rc || r.pinned == on)
		goto out_abort;
	r.pinned = on;
	rc = dfs_record_put_txn(st, txn, &r);
	if (!rc)
		rc = dfs_audit_append_txn(st, txn, &r,
					  on ? "pinned" : "unpinned", actor);
	if (rc)
		goto out_abort;
	return dfs_store_commit(txn);

out_abort:
	mdb_txn_abort(txn);
	return rc;
}

int dfs_catalog_drop_payload(struct dfs_store *st, const uint8_t id[16],
			     const struct dfs_who *actor, uint64_t *freed)
{
	return drop_payload(st, id, actor, false, freed);
}

int dfs_catalog_drop_by_policy(struct dfs_store *st, const uint8_t id[16],
			       const struct dfs_who *actor, uint64_t *freed)
{
	return drop_payload(st, id, actor, true, freed);
}
