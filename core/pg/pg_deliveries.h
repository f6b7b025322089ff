/*
 * pg_deliveries — a delivery row as the catalog's statements select it,
 * shared by the files of fleet delivery (deliveries.c, delivery_nodes.c).
 */
#ifndef DFS_PG_DELIVERIES_H
#define DFS_PG_DELIVERIES_H

#include "delivery.h"
#include "pg.h"

/* The columns of deployfs.deliveries that dfs_pg_delivery_row reads. */
#define DFS_PG_DELIVERY_COLS                                                   \
	"id, node, project, version, status, attempts, started_ms, "           \
	"coalesce(completed_ms, 0), completed_ms IS NULL, payload_hash, "      \
	"coalesce(error_code, ''), coalesce(error_message, ''), log_size"

/* Row @i of @r (DFS_PG_DELIVERY_COLS) into @d. Errors: -EPROTO. */
int dfs_pg_delivery_row(const PGresult *r, int i, struct dfs_delivery *d);

#endif
