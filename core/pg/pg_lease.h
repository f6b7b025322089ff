/*
 * pg/lease — one daemon per node name on a catalog.
 *
 * A node's lease is a session advisory lock on (DFS_PG_LOCK_SPACE,
 * node_id), held by the connection that took it for as long as that
 * session lives: a daemon that dies, or whose connection the server
 * drops, loses it at once, with no timer. Each take bumps the node's
 * epoch in deployfs.nodes; records carry the epoch they were created
 * under, so a node that lost its lease and took it again can tell its
 * old pending records (no longer its own to settle) from new ones.
 */
#ifndef DFS_PG_LEASE_H
#define DFS_PG_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "pg.h"

struct dfs_pg_lease {
	int32_t node_id;
	int64_t epoch; /* bumped by every take */
};

/*
 * dfs_pg_lease_take — take node @name's lease on @pg's session (the node
 * is registered on first use), waiting up to @wait_ms while another
 * session holds it: a session whose client died ends a moment later on
 * the server, so a daemon restarted at once waits for its old self.
 * Fills @out. Errors: -EBUSY (still held after @wait_ms: a daemon with
 * the same node name runs; the message says so), -EINVAL (empty name),
 * -EIO and other -errno.
 */
int dfs_pg_lease_take(struct dfs_pg *pg, const char *name, int wait_ms,
		      struct dfs_pg_lease *out);

/*
 * dfs_pg_lease_try — take node @node_id's lock if nobody holds it: *@got
 * true means the node is dead (no session holds its lease) and this
 * session now holds it until dfs_pg_lease_drop, so that the node cannot
 * come back while its records are recovered. Returns 0 or -errno.
 */
int dfs_pg_lease_try(struct dfs_pg *pg, int32_t node_id, bool *got);

/* Release a lock taken by dfs_pg_lease_take or _try. Returns 0/-errno. */
int dfs_pg_lease_drop(struct dfs_pg *pg, int32_t node_id);

/*
 * dfs_pg_lease_current — whether @l is still the node's lease: its epoch
 * is the node's latest. Returns 0 and sets *@current, or -errno.
 */
int dfs_pg_lease_current(struct dfs_pg *pg, const struct dfs_pg_lease *l,
			 bool *current);

#endif
