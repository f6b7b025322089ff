/*
 * delivery_pg — fleet delivery in the PostgreSQL catalog (delivery.h is
 * the shape of one delivery; deliver.h the follower that makes them).
 *
 * A follower daemon opens the catalog with its node name and the lease
 * (DFS_CATALOG_PG_DAEMON), registers what it follows, and then claims,
 * logs and settles deliveries in its own name: each op below that
 * changes a delivery acts for the catalog's node and lease epoch only.
 * Every claim and settle is one transaction that also appends an audit
 * event naming the node (actions delivery_started, delivery_success,
 * delivery_failed, delivery_superseded, delivery_interrupted) and
 * announces it on the catalog's notification channel.
 *
 * Invariants:
 *  - one row per (deployment, node), claimed by inserting it: two
 *    sessions of one node never both run a delivery, and a delivery
 *    settled once is never run again; only an interrupted one is
 *    claimed again (attempts one more);
 *  - a pending delivery of an older lease epoch belongs to a past life
 *    of the node: dfs_delivery_pg_recover marks it interrupted, and a
 *    settle or log append under a lost epoch is refused (-ESTALE);
 *  - a pending delivery of a node that holds no lease belongs to a dead
 *    follower: any live daemon marks it interrupted
 *    (dfs_delivery_pg_recover_dead);
 *  - the log of a delivery lives in the catalog (readable from any
 *    host), appended in chunks; log_size is its length in bytes.
 *
 * Deliveries of a deployment go with it (a removed record, a removed
 * project). Callable on any catalog: one that is not PostgreSQL answers
 * -EOPNOTSUPP.
 */
#ifndef DFS_DELIVERY_PG_H
#define DFS_DELIVERY_PG_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "delivery.h"

/*
 * dfs_delivery_pg_follow — the catalog's node follows @projects (@n names;
 * "*" for every project) from now on, replacing what it followed before.
 * Errors: -EOPNOTSUPP, -EPERM (not opened as a daemon), -EINVAL (a name
 * that is neither a project name nor "*"), -EIO, -errno.
 */
int dfs_delivery_pg_follow(struct dfs_catalog *cat, const char *const *projects,
			   size_t n);

/*
 * dfs_delivery_pg_followers — call @fn with each node that follows
 * @project (by name or "*"), in name order. Returns 0, @fn's non-zero
 * return, or -errno.
 */
int dfs_delivery_pg_followers(struct dfs_catalog *cat, const char *project,
			      int (*fn)(void *arg, const char *node),
			      void *arg);

/*
 * dfs_delivery_pg_recover — mark interrupted the node's pending
 * deliveries of older lease epochs (a past life killed mid-hook).
 * *@n: how many. Errors: -EOPNOTSUPP, -EPERM, -EIO, -errno.
 */
int dfs_delivery_pg_recover(struct dfs_catalog *cat, unsigned *n);

/*
 * dfs_delivery_pg_recover_dead — mark interrupted the pending deliveries
 * of every other node whose daemon holds no lease (killed, or cut off
 * from the database), holding that node's lease meanwhile so that it
 * cannot come back half way; a follower that restarts delivers them
 * again. Any catalog may call it; a daemon skips its own node. *@n: how
 * many. Errors: -EOPNOTSUPP, -EIO, -errno.
 */
int dfs_delivery_pg_recover_dead(struct dfs_catalog *cat, unsigned *n);

/*
 * dfs_delivery_pg_next — the next deployment the node has to deliver:
 * the current deployment of a project it follows that it has neither
 * delivered nor is delivering (an interrupted delivery counts as not
 * delivered), oldest first. Successful deployments of that project
 * between the node's last delivery and that one are recorded
 * superseded (never run). Fills @rec. Errors: -ENOENT (nothing to
 * deliver), -EOPNOTSUPP, -EPERM, -EIO, -errno.
 */
int dfs_delivery_pg_next(struct dfs_catalog *cat, struct dfs_record *rec);

/*
 * dfs_delivery_pg_claim — start the node's delivery of @rec (a success
 * holding its payload): the row is made pending (or an interrupted one
 * taken again). Fills @d. Errors: -EEXIST (delivered, or being
 * delivered, already), -ENOENT (no such deployment), -EOPNOTSUPP,
 * -EPERM, -EIO, -errno.
 */
int dfs_delivery_pg_claim(struct dfs_catalog *cat, const struct dfs_record *rec,
			  struct dfs_delivery *d);

/*
 * dfs_delivery_pg_log — append @n bytes to the log of the node's pending
 * delivery of @id. Errors: -ESTALE (not pending under this lease),
 * -EIO, -errno.
 */
int dfs_delivery_pg_log(struct dfs_catalog *cat, const uint8_t id[16],
			const void *buf, size_t n);

/*
 * dfs_delivery_pg_settle — settle the node's pending delivery @d->id
 * with @d->status (success or failed) and @d->error; fills the rest of
 * @d from the row. Errors: -EINVAL (another status), -ESTALE (not
 * pending under this lease: the node lost it), -EIO, -errno.
 */
int dfs_delivery_pg_settle(struct dfs_catalog *cat, struct dfs_delivery *d);

/* Node @node's delivery of @id into @d. -ENOENT, -EOPNOTSUPP, -errno. */
int dfs_delivery_pg_get(struct dfs_catalog *cat, const uint8_t id[16],
			const char *node, struct dfs_delivery *d);

/*
 * dfs_delivery_pg_list — call @fn with each delivery of @id, in node
 * name order (@d borrowed for the call). Returns 0, @fn's non-zero
 * return or -errno.
 */
int dfs_delivery_pg_list(struct dfs_catalog *cat, const uint8_t id[16],
			 int (*fn)(void *arg, const struct dfs_delivery *d),
			 void *arg);

/* The deliveries of @id by status. Returns 0 or -errno. */
int dfs_delivery_pg_counts(struct dfs_catalog *cat, const uint8_t id[16],
			   struct dfs_delivery_counts *counts);

/*
 * dfs_delivery_pg_log_read — up to @n bytes of node @node's delivery log
 * of @id at @off into @buf; *@got 0 at the end. Returns 0 or -errno.
 */
int dfs_delivery_pg_log_read(struct dfs_catalog *cat, const uint8_t id[16],
			     const char *node, uint64_t off, void *buf,
			     size_t n, size_t *got);

/*
 * The fleet view of a project: for each node that follows it or has
 * delivered it, the deployment it last delivered successfully and its
 * latest delivery (superseded ones aside); either may be absent (NULL).
 */
struct dfs_node_view {
	const char *node;
	const struct dfs_delivery *delivered; /* last success */
	const struct dfs_delivery *latest;
	bool following;
};

/*
 * dfs_delivery_pg_nodes — call @fn for each node of @project's fleet
 * view, in name order. Errors: -ENOENT (no such project), @fn's return,
 * -errno.
 */
int dfs_delivery_pg_nodes(struct dfs_catalog *cat, const char *project,
			  int (*fn)(void *arg, const struct dfs_node_view *v),
			  void *arg);

/*
 * Nodes by number: a node's id is the nodes table's node_id (given when
 * the node first took its lease, never reused), so the tree can make
 * inode numbers of a node's files. dfs_delivery_pg_node_id and
 * dfs_delivery_pg_node_name map a name to its id and back. Errors:
 * -ENOENT (no such node), -EOPNOTSUPP, -errno.
 */
int dfs_delivery_pg_node_id(struct dfs_catalog *cat, const char *node,
			    uint32_t *id);
int dfs_delivery_pg_node_name(struct dfs_catalog *cat, uint32_t id,
			      char node[DFS_NODE_MAX]);

/* Called per node with its id and name (borrowed for the call). */
typedef int (*dfs_delivery_node_fn)(void *arg, uint32_t node_id,
				    const char *node);

/*
 * dfs_delivery_pg_scan_of — each node with a delivery of deployment
 * @id, and dfs_delivery_pg_scan_delivered each node that delivered a
 * deployment of project @pseq successfully, in node id order from the
 * first id above @after. Return 0, @fn's non-zero return, or -errno
 * (-EOPNOTSUPP).
 */
int dfs_delivery_pg_scan_of(struct dfs_catalog *cat, const uint8_t id[16],
			    uint32_t after, dfs_delivery_node_fn fn, void *arg);
int dfs_delivery_pg_scan_delivered(struct dfs_catalog *cat, uint64_t pseq,
				   uint32_t after, dfs_delivery_node_fn fn,
				   void *arg);

/*
 * dfs_delivery_pg_last — node @node's last successful delivery of
 * project @pseq into @d. Errors: -ENOENT (none), -EOPNOTSUPP, -errno.
 */
int dfs_delivery_pg_last(struct dfs_catalog *cat, const char *node,
			 uint64_t pseq, struct dfs_delivery *d);

struct dfs_delivery_listener;

/*
 * dfs_delivery_listener_open — a session of its own on @conninfo that
 * listens to the catalog's announcements (connected on first wait).
 * Errors: -EINVAL, -ENOMEM.
 */
int dfs_delivery_listener_open(const char *conninfo,
			       struct dfs_delivery_listener **out);
void dfs_delivery_listener_close(struct dfs_delivery_listener *l);

/*
 * dfs_delivery_listener_wait — wait up to @timeout_ms for announcements.
 * Returns 1 when something may have changed (announcements arrived, or
 * the session was (re)connected: what was sent meanwhile is lost), 0 on
 * timeout, -EIO when the database cannot be reached (wait, retry), or
 * -EINTR.
 */
int dfs_delivery_listener_wait(struct dfs_delivery_listener *l, int timeout_ms);

#endif
