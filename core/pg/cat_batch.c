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

int dfs_pgcat_batch_add(struct dfs_batch *batch, const struct dfs_record *tmpl,
			int64_t at_ms, struct dfs_record *out)
{
	struct pg_batch *b = (struct pg_batch *)batch;
	struct dfs_project_attr attr = {tmpl->who.uid, tmpl->who.gid, 0644};
	struct dfs_record rec, fin;
	int rc;

	if (!dfs_name_is_project(tmpl->project))
		return -EINVAL;
	dfs_record_init(&rec);
	rc = dfs_pgcat_create_txn(b->c, tmpl->project, &tmpl->who, &attr, at_ms,
				  &rec);
	if (rc || tmpl->status == DFS_STATUS_PENDING)
		goto out;
	/* Settle it as the template says, keeping what create assigned. */
	dfs_record_settle_as(&fin, tmpl, &rec);
	rc = dfs_pgcat_update_txn(b->c, &fin, NULL, NULL);
	rec = fin;
out:
	if (!rc && out)
		*out = rec;
	return rc;
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
