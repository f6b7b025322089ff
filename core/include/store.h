/*
 * store — one directory holding everything deployfs keeps:
 *
 *   STORE/data.mdb, lock.mdb   the catalog (catalog.h), LMDB by default
 *   STORE/blobs/<2 hex>/<sha256>  payloads, content-addressed, read-only
 *   STORE/tmp/                 uploads in progress (removed by recovery)
 *   STORE/logs/, manifests/    per deployment (log.h)
 *   STORE/daemon.lock          held (flock) by the one daemon serving it
 *
 * A store owns its catalog (dfs_store_catalog) and its blob store
 * (dfs_store_blobs) for as long as it is open.
 * Several processes may open a store at once (the daemon and deployctl);
 * only an exclusive opener (the daemon) runs recovery and owns tmp/.
 */
#ifndef DFS_STORE_H
#define DFS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"

/* The format of a store: its LMDB catalog's (see catalog.h). */
#define DFS_STORE_FORMAT DFS_CATALOG_LMDB_FORMAT

struct dfs_store;
struct dfs_blobs;

enum dfs_store_flags {
	DFS_STORE_CREATE = 1 << 0,    /* create the directory if missing */
	DFS_STORE_EXCLUSIVE = 1 << 1, /* take daemon.lock (fails -EBUSY) */
};

#define DFS_STORE_MAP_DEFAULT DFS_CATALOG_LMDB_MAP_DEFAULT

/*
 * dfs_store_open — open (or create) the store at @dir. @map_size is the
 * LMDB map size in bytes (0: DFS_STORE_MAP_DEFAULT); a full map makes
 * writes fail with -ENOSPC. Without DFS_STORE_CREATE, a directory that
 * holds no store is refused and left as it was: nothing is created in it.
 * A store of the previous format (2) is upgraded first: its records are
 * numbered (versions, see catalog.h) in batches that resume if cut
 * short, then the format is set. Only a process that holds daemon.lock
 * upgrades: the daemon, or any opener when no daemon serves the store;
 * while a daemon of the older build serves it, the store is refused as
 * -EPROTO.
 * Errors: -ENOENT (no @dir, or no data.mdb in it, without
 * DFS_STORE_CREATE), -EBADMSG (data.mdb is not a deployfs store, or is
 * damaged), -EBUSY (exclusive lock held by another daemon), -EPROTO
 * (format version differs), other -errno from the filesystem or LMDB.
 * *@out is owned by the caller and released with dfs_store_close.
 */
int dfs_store_open(const char *dir, unsigned flags, uint64_t map_size,
		   struct dfs_store **out);
void dfs_store_close(struct dfs_store *st);

/*
 * dfs_store_open_catalog — the same over a catalog the caller opened (a
 * backend other than the store's own LMDB one): the store takes @cat
 * over, on error too (it is closed then), and uses @dir for tmp/, the
 * blob store and daemon.lock. Errors: as dfs_store_open's, but for the
 * LMDB ones.
 */
int dfs_store_open_catalog(const char *dir, unsigned flags,
			   struct dfs_catalog *cat, struct dfs_store **out);

/* Where a store on many hosts keeps its catalog and payloads. */
struct dfs_store_shared {
	const char *conninfo; /* libpq connection string or URI */
	const char *node;     /* origin_node and lease; NULL: host name */
	uint64_t cache_size;  /* STORE/blobs limit; 0: 10G */
};

/*
 * dfs_store_open_shared — a store whose catalog and payloads live in the
 * PostgreSQL database @sh names (catalog_pg.h, blobs_pg.h): the
 * directory @dir (created if missing) keeps tmp/, the payload cache and
 * daemon.lock. With DFS_STORE_EXCLUSIVE (the daemon) the node's lease is
 * taken too. The catalog's tables are made on first use. Errors: those
 * of dfs_store_open and dfs_catalog_open_pg (-EBUSY: another daemon
 * serves the directory or holds the node; -EIO: the database is
 * unreachable; -EPROTO: tables of another version); *@err (may be NULL)
 * the server's message, malloc'd (the caller frees it).
 */
int dfs_store_open_shared(const char *dir, unsigned flags,
			  const struct dfs_store_shared *sh,
			  struct dfs_store **out, char **err);

/* The store's catalog and blob store; they live as long as @st. */
struct dfs_catalog *dfs_store_catalog(const struct dfs_store *st);
struct dfs_blobs *dfs_store_blobs(const struct dfs_store *st);

/* The store's directory as given at open; lives as long as @st. */
const char *dfs_store_dir(const struct dfs_store *st);

/*
 * dfs_store_statfs — space of the filesystem under the store, for df on
 * the mount. Returns 0 or -errno.
 */
struct statvfs;
int dfs_store_statfs(struct dfs_store *st, struct statvfs *sv);

/*
 * dfs_store_clear_tmp — after a crash: remove every file in tmp/ (uploads
 * that never finished). Only for the exclusive opener, before serving,
 * after dfs_catalog_recover has failed the pending records. Errors:
 * -EPERM (not the exclusive opener), -errno.
 */
int dfs_store_clear_tmp(struct dfs_store *st);

#endif
