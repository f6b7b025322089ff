/*
 * query — names of deployments, as people type them, resolved through
 * the catalog (pages of records are dfs_catalog_query, catalog.h).
 */
#ifndef DFS_QUERY_H
#define DFS_QUERY_H

#include <stdint.h>

#include "catalog.h"

/*
 * dfs_query_resolve — the id whose canonical text starts with @prefix (at
 * least 4 hex digits; dashes optional, as in the canonical form).
 * Errors: -EINVAL (not hex), -ENOENT (no match), -ENOTUNIQ (ambiguous).
 */
int dfs_query_resolve(struct dfs_catalog *cat, const char *prefix,
		      uint8_t id[16]);

#endif
