/*
 * deliver — a follower node: for each successful deploy of the projects
 * it follows (made on any host of the shared catalog), fetch the payload
 * into the local cache (verified), run the hook with DEPLOYFS_NODE set,
 * and settle the node's delivery (delivery_pg.h). The one place a
 * delivery is settled: the hook runner only reports how the hook ended.
 *
 * Order: one delivery at a time on the follower's thread, so per project
 * in deploy order; what is due is always a project's current deployment
 * (those in between are superseded), so a follower that was down
 * delivers only the newest on restart. A delivery left pending by a past
 * life of the node is marked interrupted at start, and its deployment,
 * if still current, delivered again.
 */
#ifndef DFS_DELIVER_H
#define DFS_DELIVER_H

#include <stddef.h>

#include "hook.h"
#include "store.h"

struct dfs_follower_conf {
	const char *conninfo; /* the catalog's, for a listening session */
	const char *const *projects; /* names, or "*" for all */
	size_t n;
};

struct dfs_follower;

/*
 * dfs_follower_start — follow conf->projects on @st (whose catalog is a
 * PostgreSQL one opened as a daemon), running hooks through @h: registers
 * what the node follows, marks its past life's pending deliveries
 * interrupted, and starts a thread that delivers what is due now and
 * then whatever is announced. Errors: -EOPNOTSUPP (not a PostgreSQL
 * catalog), -EINVAL (a bad project name), -ENOMEM, -EIO, -errno.
 */
int dfs_follower_start(struct dfs_store *st, struct dfs_hooks *h,
		       const struct dfs_follower_conf *conf,
		       struct dfs_follower **out);

/* Stop the thread after the delivery in progress (kill it first with
 * dfs_hooks_free to have it interrupted) and free @f. */
void dfs_follower_stop(struct dfs_follower *f);

/*
 * dfs_follower_catch_up — deliver, on the caller's thread, everything due
 * now; *@n (may be NULL): deliveries settled. Returns 0 or -errno.
 */
int dfs_follower_catch_up(struct dfs_store *st, struct dfs_hooks *h,
			  unsigned *n);

#endif
