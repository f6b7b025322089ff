/* lmdb/payload — dropping and pinning payloads (see catalog.h). */
#include <errno.h>
#include <string.h>

#include "lmdb_impl.h"
#include "catalog_plan.h"

int dfs_lmdb_drop_payload(struct dfs_catalog *cat, const uint8_t id[16],
			  enum dfs_drop_why why, const struct dfs_who *actor,
			  struct dfs_record *out, bool *last_ref)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	struct dfs_project p;
	struct dfs_record rec;
	MDB_val k, v;
	MDB_txn *txn;
	bool last;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_record_get(st, txn, id, &rec);
	if (!rc && dfs_catalog_plan_drop_needs_project(&rec, why))
		rc = dfs_lmdb_project_load(st, txn, rec.project, &p);
	if (!rc)
		rc = dfs_catalog_plan_drop(&rec, why, &p);
	if (rc || !dfs_record_holds_payload(&rec)) {
		mdb_txn_abort(txn);
		if (!rc) {
			if (out)
				*out = rec;
			*last_ref = false;
		}
		return rc;
	}
	if (out)
		*out = rec;
	rec.payload_blob_present = false;
	rc = dfs_lmdb_update_txn(st, txn, &rec, NULL, actor);
	if (rc)
		goto out_abort;
	k = (MDB_val){32, rec.payload_hash};
	rc = mdb_get(txn, st->blobs, &k, &v);
	last = rc == MDB_NOTFOUND;
	if (rc && !last) {
		rc = dfs_lmdb_err(rc);
		goto out_abort;
	}
	rc = dfs_lmdb_commit(txn);
	if (!rc)
		*last_ref = last;
	return rc;

out_abort:
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_set_pinned(struct dfs_catalog *cat, const uint8_t id[16], bool on,
			const struct dfs_who *actor)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	struct dfs_record r;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_record_get(st, txn, id, &r);
	if (rc || r.pinned == on)
		goto out_abort;
	r.pinned = on;
	rc = dfs_lmdb_record_put(st, txn, &r);
	if (!rc)
		rc = dfs_lmdb_audit_append(st, txn, &r,
					   on ? "pinned" : "unpinned", actor);
	if (rc)
		goto out_abort;
	return dfs_lmdb_commit(txn);

out_abort:
	mdb_txn_abort(txn);
	return rc;
}
