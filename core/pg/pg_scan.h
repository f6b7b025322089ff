/*
 * pg/scan — keyset-paged listings of records.
 *
 * A page is one query of the form "WHERE key = $k AND id > $after ORDER
 * BY id LIMIT $n" that one btree ((pseq, id), (status, id),
 * (pseq, status, id) or the primary key) serves from its first row: the
 * cost of a page does not depend on how many records the catalog holds or
 * how far into the listing it is, and nothing is built whole in memory.
 * The next page starts after the last id of this one.
 */
#ifndef DFS_PG_SCAN_H
#define DFS_PG_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "pg.h"

enum dfs_pg_scope {
	DFS_PG_ALL,	       /* every record */
	DFS_PG_PROJECT,	       /* records of project pseq @key */
	DFS_PG_STATUS,	       /* records with status @key */
	DFS_PG_PROJECT_STATUS, /* project @key with status @key2 */
};

struct dfs_pg_row {
	uint8_t id[16];
	uint64_t seq;
};

/*
 * dfs_pg_scan_page — up to @max rows of @scope after id @after (NULL:
 * from the start), in id order (@desc: newest first, before @after) into
 * @rows; *@n is how many (fewer than @max: the listing ended).
 * Returns 0 or -errno.
 */
int dfs_pg_scan_page(struct dfs_pg *pg, enum dfs_pg_scope scope, int64_t key,
		     int64_t key2, const uint8_t *after, bool desc,
		     unsigned max, struct dfs_pg_row *rows, unsigned *n);

/* The SQL of a page query, for tests that check its plan. */
const char *dfs_pg_scan_sql(enum dfs_pg_scope scope, bool desc);

#endif
