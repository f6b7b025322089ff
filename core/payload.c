/* payload — see payload.h. */
#include "payload.h"

#include "blobs.h"

int dfs_payload_drop(struct dfs_store *st, const uint8_t id[16],
		     enum dfs_drop_why why, const struct dfs_who *actor,
		     uint64_t *freed)
{
	struct dfs_record rec;
	bool last;
	int rc;

	rc = dfs_catalog_drop_payload(dfs_store_catalog(st), id, why, actor,
				      &rec, &last);
	if (rc)
		return rc;
	/* Unreferenced now: a crash before this leaves an orphan for gc. */
	*freed = 0;
	if (last &&
	    dfs_blobs_remove(dfs_store_blobs(st), rec.payload_hash) == 0)
		*freed = rec.payload_size;
	return 0;
}
