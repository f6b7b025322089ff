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
	struct dfs_record rec, was;
	uint64_t refs = 1;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_record_get(st, txn, id, &rec);
	if (!rc && dfs_catalog_plan_drop_needs_project(&rec, why))
		rc = dfs_lmdb_project_load(st, txn, rec.project, &p);
	if (!rc)
		rc = dfs_catalog_plan_drop(&rec, why, &p);
	was = rec;
	if (!rc && dfs_record_holds_payload(&rec)) {
		rec.payload_blob_present = false;
		rc = dfs_lmdb_update_txn(st, txn, &rec, NULL, actor);
		if (!rc)
			rc = dfs_lmdb_blob_refs_txn(st, txn, rec.payload_hash,
						    &refs);
	}
	rc = dfs_lmdb_end(txn, rc);
	if (!rc) {
		if (out)
			*out = was;
		*last_ref = refs == 0;
	}
	return rc;
}

int dfs_lmdb_set_pinned(struct dfs_catalog *cat, const uint8_t id[16], bool on,
			const struct dfs_who *actor)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	const char *action = NULL;
	struct dfs_record r;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_record_get(st, txn, id, &r);
	if (!rc)
		action = dfs_catalog_plan_pin(&r, on);
	if (action) {
		rc = dfs_lmdb_record_put(st, txn, &r);
		if (!rc)
			rc = dfs_lmdb_audit_append(st, txn, &r, action, actor);
	}
	return dfs_lmdb_end(txn, rc);
}
