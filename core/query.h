/*
 * query — deployments by project, status and time, newest first, served
 * from the catalog's indexes: a page costs log(n) plus its size.
 *
 * The index is chosen by the filters: (project, status), project, status,
 * or all records; each keeps ids in time order (UUIDv7), so a time range
 * is a key range. total counts every match before paging: O(1) from the
 * index without a time range, a walk over the matching keys (no record is
 * read) with one.
 */
#ifndef DFS_QUERY_H
#define DFS_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

struct dfs_query {
	const char *project; /* NULL: every project */
	bool has_status;
	enum dfs_status status;
	int64_t since_ms; /* inclusive on started_at; DFS_TIME_NONE: open */
	int64_t until_ms; /* inclusive; DFS_TIME_NONE: open */
	uint64_t offset;
	uint64_t limit; /* 0: no limit */
};

/* A query with no filter, offset or limit. */
void dfs_query_init(struct dfs_query *q);

/*
 * dfs_query_run — call @fn for each record of the page, newest first (ties
 * cannot happen: ids are unique and ordered); @fn returns 0 to go on.
 * Sets *@total (may be NULL) to the number of matches before paging.
 * Errors: -EINVAL (bad project name), -errno, or what @fn returned.
 */
int dfs_query_run(struct dfs_store *st, const struct dfs_query *q,
		  int (*fn)(void *arg, const struct dfs_record *rec), void *arg,
		  uint64_t *total);

/*
 * dfs_query_resolve — the id whose canonical text starts with @prefix (at
 * least 4 hex digits; dashes optional, as in the canonical form).
 * Errors: -EINVAL (not hex), -ENOENT (no match), -ENOTUNIQ (ambiguous).
 */
int dfs_query_resolve(struct dfs_store *st, const char *prefix, uint8_t id[16]);

#endif
