/* lmdb/batch — many records in one write transaction (see catalog.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmdb_impl.h"
#include "isotime.h"

struct lmdb_batch {
	struct dfs_batch base;
	struct dfs_lmdb *st;
	MDB_txn *txn;
};

int dfs_lmdb_batch_begin(struct dfs_catalog *cat, struct dfs_batch **out)
{
	struct lmdb_batch *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return -ENOMEM;
	b->base.cat = cat;
	b->st = dfs_lmdb(cat);
	rc = dfs_lmdb_txn(b->st, true, &b->txn);
	if (rc) {
		free(b);
		return rc;
	}
	*out = &b->base;
	return 0;
}

int dfs_lmdb_batch_add(struct dfs_batch *batch, const struct dfs_record *tmpl,
		       int64_t at_ms, struct dfs_record *out)
{
	struct lmdb_batch *b = (struct lmdb_batch *)batch;
	struct dfs_project_attr attr = {tmpl->who.uid, tmpl->who.gid, 0644};
	struct dfs_record rec, fin;
	int rc;

	if (!dfs_name_is_project(tmpl->project))
		return -EINVAL;
	dfs_record_init(&rec);
	rc = dfs_lmdb_create_txn(b->st, b->txn, tmpl->project, &tmpl->who,
				 &attr, at_ms, &rec);
	if (rc || tmpl->status == DFS_STATUS_PENDING)
		goto out;
	/* Settle it as the template says, keeping what create assigned. */
	dfs_record_settle_as(&fin, tmpl, &rec);
	rc = dfs_lmdb_update_txn(b->st, b->txn, &fin, NULL, NULL);
	rec = fin;
out:
	if (!rc && out)
		*out = rec;
	return rc;
}

int dfs_lmdb_batch_commit(struct dfs_batch *batch)
{
	struct lmdb_batch *b = (struct lmdb_batch *)batch;
	int rc = dfs_lmdb_commit(b->txn);

	free(b);
	return rc;
}

void dfs_lmdb_batch_abort(struct dfs_batch *batch)
{
	struct lmdb_batch *b = (struct lmdb_batch *)batch;

	mdb_txn_abort(b->txn);
	free(b);
}
