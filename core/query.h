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

/* What a deployment name says (see dfs_query_parse_name). */
enum dfs_name_kind {
	DFS_NAME_PREFIX,  /* an id, or a prefix of one */
	DFS_NAME_VERSION, /* <project>@<N> */
	DFS_NAME_CURRENT, /* <project>@current */
	DFS_NAME_LATEST,  /* <project>@latest */
};

/*
 * dfs_query_parse_name — read @s as "<project>@<N>" (N a decimal from 1,
 * no leading zero), "<project>@current", "<project>@latest", or else an id
 * prefix (left for dfs_query_resolve to check). Fills @project (for the
 * @ forms) and @version. Returns 0 or -EINVAL (an @ form with a bad
 * project name or version).
 */
int dfs_query_parse_name(const char *s, enum dfs_name_kind *kind,
			 char project[DFS_PROJECT_MAX + 1], uint64_t *version);

/*
 * dfs_query_resolve — the deployment named by @name: an id, or the id
 * whose canonical text starts with @name (at least 4 hex digits; dashes
 * optional, as in the canonical form), or <project>@<N>, @current,
 * @latest. A prefix is one cursor seek in the records (ids are ordered),
 * a version one get in the by_version index.
 * Errors: -EINVAL (not a name), -ENOENT (no match), -ENOTUNIQ (ambiguous).
 */
int dfs_query_resolve(struct dfs_store *st, const char *name, uint8_t id[16]);

#endif
