/*
 * pg_deliveries — what the files of fleet delivery share (deliveries.c,
 * delivery_reads.c, delivery_nodes.c): the catalog they run on, and a
 * delivery row as their statements select it.
 */
#ifndef DFS_PG_DELIVERIES_H
#define DFS_PG_DELIVERIES_H

#include <stdbool.h>

#include "catalog.h"
#include "delivery.h"
#include "pg.h"

struct dfs_pgcat;

/* The columns of deployfs.deliveries that dfs_pg_delivery_row reads. */
#define DFS_PG_DELIVERY_COLS                                                   \
	"id, node, project, version, status, attempts, started_ms, "           \
	"coalesce(completed_ms, 0), completed_ms IS NULL, payload_hash, "      \
	"coalesce(error_code, ''), coalesce(error_message, ''), log_size"

/*
 * dfs_pg_delivery_cat — @cat's PostgreSQL insides into *@out; @daemon:
 * only for the daemon holding its node's lease. Errors: -EOPNOTSUPP (not
 * a PostgreSQL catalog), -EPERM (@daemon, and @cat is not the daemon's).
 */
int dfs_pg_delivery_cat(struct dfs_catalog *cat, bool daemon,
			struct dfs_pgcat **out);

/*
 * dfs_pg_delivery_query, dfs_pg_delivery_query_one — dfs_pg_query and
 * dfs_pg_query_one of @st on @cat's session, under its lock: a read.
 * Errors: -EOPNOTSUPP (not a PostgreSQL catalog), dfs_pg_query's.
 */
int dfs_pg_delivery_query(struct dfs_catalog *cat, const struct dfs_pg_stmt *st,
			  const struct dfs_pg_params *p, dfs_pg_row_fn fn,
			  void *arg);
int dfs_pg_delivery_query_one(struct dfs_catalog *cat,
			      const struct dfs_pg_stmt *st,
			      const struct dfs_pg_params *p, int none,
			      dfs_pg_row_fn fn, void *arg);

/* Row @i of @r (DFS_PG_DELIVERY_COLS) into @d. Errors: -EBADMSG. */
int dfs_pg_delivery_row(const PGresult *r, int i, struct dfs_delivery *d);

/* dfs_pg_delivery_row as a dfs_pg_row_fn: into the dfs_delivery @d. */
int dfs_pg_delivery_at(void *d, const PGresult *r, int row);

#endif
