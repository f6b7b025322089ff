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

int dfs_lmdb_batch_create(struct dfs_batch *batch, const char *project,
			  const struct dfs_who *who,
			  const struct dfs_project_attr *attr, int64_t at_ms,
			  struct dfs_record *rec)
{
	struct lmdb_batch *b = (struct lmdb_batch *)batch;

	return dfs_lmdb_create_txn(b->st, b->txn, project, who, attr, at_ms,
				   rec);
}

int dfs_lmdb_batch_update(struct dfs_batch *batch, const struct dfs_record *rec)
{
	struct lmdb_batch *b = (struct lmdb_batch *)batch;

	return dfs_lmdb_update_txn(b->st, b->txn, rec, NULL, NULL);
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
