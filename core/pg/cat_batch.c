/*
 * pg/cat_batch — many records in one transaction (see catalog.h). The
 * batch holds the catalog's lock and the clock row until it ends: every
 * other writer, on any host, waits for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "pgcat.h"

struct pg_batch {
	struct dfs_batch base;
	struct dfs_pgcat *c;
};

int dfs_pgcat_batch_begin(struct dfs_catalog *cat, struct dfs_batch **out)
{
	struct pg_batch *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return -ENOMEM;
	b->base.cat = cat;
	b->c = dfs_pgcat(cat);
	rc = dfs_pgcat_begin(b->c);
	if (rc) {
		free(b);
		return rc;
	}
	*out = &b->base;
	return 0;
}

int dfs_pgcat_batch_create(struct dfs_batch *batch, const char *project,
			   const struct dfs_who *who,
			   const struct dfs_project_attr *attr, int64_t at_ms,
			   struct dfs_record *rec)
{
	struct pg_batch *b = (struct pg_batch *)batch;

	return dfs_pgcat_create_txn(b->c, project, who, attr, at_ms, rec);
}

int dfs_pgcat_batch_update(struct dfs_batch *batch,
			   const struct dfs_record *rec)
{
	struct pg_batch *b = (struct pg_batch *)batch;

	return dfs_pgcat_update_txn(b->c, rec, NULL, NULL);
}

int dfs_pgcat_batch_commit(struct dfs_batch *batch)
{
	struct pg_batch *b = (struct pg_batch *)batch;
	int rc = dfs_pgcat_end(b->c, 0);

	free(b);
	return rc;
}

void dfs_pgcat_batch_abort(struct dfs_batch *batch)
{
	struct pg_batch *b = (struct pg_batch *)batch;

	dfs_pgcat_end(b->c, -ECANCELED);
	free(b);
}
