/*
 * query — names of deployments, as people type them, resolved through
 * the catalog (pages of records are dfs_catalog_query, catalog.h).
 */
#ifndef DFS_QUERY_H
#define DFS_QUERY_H

#include <stdint.h>

#include "catalog.h"

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
 * @latest. A prefix is one seek in id order, a version one index get
 * (dfs_catalog_find_prefix, dfs_catalog_find_version).
 * Errors: -EINVAL (not a name), -ENOENT (no match), -ENOTUNIQ (ambiguous).
 */
int dfs_query_resolve(struct dfs_catalog *cat, const char *name,
		      uint8_t id[16]);

/*
 * A rollback's default target: the newest record older than @current
 * that holds its payload. Set current (and has false), then walk a
 * project's successes newest first with dfs_query_before_fn: it stops
 * at the first such record, into found (has true).
 */
struct dfs_query_before {
	uint8_t current[16];
	bool has;
	struct dfs_record found;
};

int dfs_query_before_fn(void *arg, const struct dfs_record *r);

#endif
