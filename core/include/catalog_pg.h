/*
 * catalog_pg — the catalog in a PostgreSQL database shared by every host
 * that mounts (catalog.h is the contract; core/pg/ the backend).
 *
 * Everything catalog.h promises holds across hosts: ids and seqs come
 * from one clock row locked by every create, audit offsets from one head
 * row locked by every event, both in commit order. A daemon opens the
 * catalog with its node name and DFS_CATALOG_PG_DAEMON: it then holds the
 * node's lease (a session advisory lock) for as long as it runs, and a
 * second daemon with the same node name is refused. Records carry the
 * node and lease epoch they were created under; a node that lost its
 * lease (its session ended) can no longer settle them (-EIO), and their
 * recovery is any live daemon's (dfs_catalog_pg_recover_dead).
 */
#ifndef DFS_CATALOG_PG_H
#define DFS_CATALOG_PG_H

#include <stdbool.h>

#include "catalog.h"

enum dfs_catalog_pg_flags {
	/* Hold the node's lease: a daemon, one per node name. */
	DFS_CATALOG_PG_DAEMON = 1 << 8,
};

/*
 * dfs_catalog_open_pg — the catalog in the database @conninfo names (any
 * libpq connection string or postgresql:// URI). @flags: DFS_CATALOG_CREATE
 * creates the tables when there are none; DFS_CATALOG_PG_DAEMON takes
 * @node's lease. @node is recorded as origin_node.
 * Errors: -EINVAL (@conninfo does not parse), -ENOENT (no catalog in the
 * database and no CREATE, or no such database), -EPROTO (tables of
 * another version), -EBUSY (another daemon holds @node's lease), -EIO
 * (server unreachable), -EACCES. *@err (may be NULL) gets the server's
 * or libpq's message for a log line (malloc'd, the caller frees it).
 */
int dfs_catalog_open_pg(const char *conninfo, unsigned flags, const char *node,
			struct dfs_catalog **out, char **err);

/* Whether @cat is a PostgreSQL catalog. */
bool dfs_catalog_is_pg(const struct dfs_catalog *cat);

/*
 * dfs_catalog_pg_recover_dead — fail "interrupted" the pending records
 * of every node whose daemon holds no lease (dead, or cut off), in
 * @actor's name, holding each such node's lease meanwhile so it cannot
 * come back half way. *@n: records failed. Returns 0 or -errno.
 */
int dfs_catalog_pg_recover_dead(struct dfs_catalog *cat,
				const struct dfs_who *actor, unsigned *n);

/*
 * dfs_catalog_pg_check — whether the database answers (reconnecting if
 * the session was lost). On failure @msg (@n bytes) gets the reason, for
 * a daemon log line. Returns 0 or -errno (-EIO: unreachable).
 */
int dfs_catalog_pg_check(struct dfs_catalog *cat, char *msg, size_t n);

/* What dfs_catalog_pg_import did. */
struct dfs_import_stats {
	uint64_t projects; /* made in the catalog */
	uint64_t records;  /* copied (those there already are skipped) */
	uint64_t skipped;  /* there already */
	uint64_t blobs;	   /* payloads copied into the database */
	uint64_t blob_bytes;
	uint64_t events; /* audit lines copied */
	bool audit_kept; /* the catalog's trail differs: left alone */
};

struct dfs_blobs;

/*
 * dfs_catalog_pg_import — copy the history of catalog @src (an LMDB
 * store's) and the payloads its records hold (read from @src_blobs) into
 * the PostgreSQL catalog @dst: projects with their owner and mode,
 * records as they are (ids, versions, statuses, pins), the retention
 * policies, and the audit trail byte for byte while @dst's is empty or
 * a prefix of it. Running it again changes nothing: records and blobs
 * there already are skipped. The records copied must be newer than every
 * record @dst holds (ids only grow): import into a new catalog, or the
 * same store again. Fills @st. Errors: -EEXIST (@dst holds newer
 * records than some to copy), -EBADMSG (a payload does not match its
 * hash), -EIO, -errno.
 */
int dfs_catalog_pg_import(struct dfs_catalog *dst, struct dfs_catalog *src,
			  struct dfs_blobs *src_blobs,
			  struct dfs_import_stats *st);

#endif
