/*
 * blobs_pg — payload bytes held by the shared PostgreSQL catalog (see
 * blobs.h), with this host's STORE/blobs as a verified read-through
 * cache: a put is committed to the database (in content-addressed
 * chunks) before it returns, and kept in the cache; an open of a blob
 * the cache lacks streams it from the database into a temp file,
 * checking its SHA-256, and moves it in. The cache never exceeds its
 * size by more than the blob being read: the least recently read blobs
 * leave first. The database is the source of truth: gc counts its
 * orphans; the cache holds copies only.
 */
#ifndef DFS_BLOBS_PG_H
#define DFS_BLOBS_PG_H

#include <stdint.h>

#include "blobs.h"

#define DFS_BLOBS_CACHE_DEFAULT (10ULL << 30)

/*
 * dfs_blobs_open_pg — the blobs of the catalog database @conninfo (its
 * own connection), cached under @dirfd/blobs (temp files in @tmpfd,
 * references from @cat: both borrowed), at most @cache_size bytes
 * (0: DFS_BLOBS_CACHE_DEFAULT). Errors: -EINVAL (@conninfo), -ENOMEM,
 * -errno from the filesystem.
 */
int dfs_blobs_open_pg(const char *conninfo, int dirfd, int tmpfd,
		      struct dfs_catalog *cat, uint64_t cache_size,
		      struct dfs_blobs **out);

#endif
