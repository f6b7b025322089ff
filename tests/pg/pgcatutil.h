/*
 * pgcatutil — the PostgreSQL catalog for the catalog suite: a fresh
 * database per fixture on the run's throwaway cluster (tests/pg), named
 * after the fixture's temp directory, so reopening finds the same one.
 */
#ifndef DFS_PGCATUTIL_H
#define DFS_PGCATUTIL_H

struct dfs_catalog;

/*
 * tu_pg_open — the catalog in the database of @base (created on first
 * use, with its tables). Exits 77 (skipped) when the run has no cluster.
 * Returns dfs_catalog_open_pg's result.
 */
int tu_pg_open(const char *base, const char *node, struct dfs_catalog **out);

/* Drop the database of @base, if there is one. */
void tu_pg_drop(const char *base);

#endif
