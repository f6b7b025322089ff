/*
 * store — one directory holding everything deployfs keeps:
 *
 *   STORE/data.mdb, lock.mdb   LMDB: records, indexes, projects, blob refs
 *   STORE/blobs/<2 hex>/<sha256>  payloads, content-addressed, read-only
 *   STORE/tmp/                 uploads in progress (removed by recovery)
 *   STORE/daemon.lock          held (flock) by the one daemon serving it
 *
 * The LMDB environment carries a format version checked at open. Several
 * processes may open a store at once (the daemon and deployctl); only an
 * exclusive opener (the daemon) runs recovery and owns tmp/.
 */
#ifndef DFS_STORE_H
#define DFS_STORE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * 2: by_held, the index retention walks; 3: versions (by_version). A
 * store of format 2 is upgraded when opened (see dfs_store_open).
 */
#define DFS_STORE_FORMAT 3

struct dfs_store;

enum dfs_store_flags {
	DFS_STORE_CREATE = 1 << 0,    /* create the directory if missing */
	DFS_STORE_EXCLUSIVE = 1 << 1, /* take daemon.lock (fails -EBUSY) */
};

#define DFS_STORE_MAP_DEFAULT (64ULL << 30)

/*
 * dfs_store_open — open (or create) the store at @dir. @map_size is the
 * LMDB map size in bytes (0: DFS_STORE_MAP_DEFAULT); a full map makes
 * writes fail with -ENOSPC. Without DFS_STORE_CREATE, a directory that
 * holds no store is refused and left as it was: nothing is created in it.
 * A store of the previous format (2) is upgraded first: its records are
 * numbered (versions, see version.h) in batches that resume if cut
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

/* The store's directory as given at open; lives as long as @st. */
const char *dfs_store_dir(const struct dfs_store *st);

/*
 * The largest payload a deploy may write (max_payload): a write or
 * truncate past it fails with -EFBIG before anything is read, copied or
 * allocated (see deploy.h and dropbox.h). DFS_STORE_PAYLOAD_DEFAULT until
 * set; @max must not be 0.
 */
#define DFS_STORE_PAYLOAD_DEFAULT (64ULL << 30)
void dfs_store_set_max_payload(struct dfs_store *st, uint64_t max);
uint64_t dfs_store_max_payload(const struct dfs_store *st);

/* The host name recorded as origin_node; lives as long as @st. */
const char *dfs_store_host(const struct dfs_store *st);

/*
 * dfs_store_set_max_unpacked — how many bytes an archive deployed into @st
 * may unpack to (0, the default: 100 times its size, at least 1 GiB; see
 * check.h). Set before serving.
 */
void dfs_store_set_max_unpacked(struct dfs_store *st, uint64_t max);
uint64_t dfs_store_max_unpacked(const struct dfs_store *st);

/* The blobs this process proved (verified.h); lives as long as @st. */
struct dfs_verified *dfs_store_verified(struct dfs_store *st);

/*
 * dfs_store_statfs — space of the filesystem under the store, for df on
 * the mount. Returns 0 or -errno.
 */
struct statvfs;
int dfs_store_statfs(struct dfs_store *st, struct statvfs *sv);

/*
 * dfs_store_trim — LMDB reads through a shared map, and every page of it
 * the process has touched (or that the kernel mapped around a touched
 * one) counts in its RSS although it is page cache. When the process's
 * file-backed resident memory exceeds @limit bytes, drop the map's page
 * table entries (madvise MADV_DONTNEED: the pages stay cached; the next
 * access maps them again). Safe while other threads read. Sets *@trimmed.
 * Returns 0 or -errno.
 */
int dfs_store_trim(struct dfs_store *st, uint64_t limit, bool *trimmed);

/*
 * dfs_store_recover — after a crash: every pending record becomes failed
 * with code "interrupted", and every file in tmp/ is removed. Only for an
 * exclusive opener, before serving. Committed records are not touched.
 * Sets *@n to the number of records failed. Returns 0 or -errno.
 */
int dfs_store_recover(struct dfs_store *st, unsigned *n);

#endif
