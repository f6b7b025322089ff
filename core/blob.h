/*
 * blob — payloads stored once each under STORE/blobs/<aa>/<sha256 hex>,
 * where <aa> is the hash's first byte. A blob file is written once (from a
 * temp file, fsynced, renamed in, directory fsynced) and never modified;
 * its reference count lives in the catalog.
 */
#ifndef DFS_BLOB_H
#define DFS_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Path of a blob relative to the store directory ("blobs/aa/<hex>"). */
#define DFS_BLOB_PATH_MAX 80
void dfs_blob_relpath(const uint8_t hash[32], char out[DFS_BLOB_PATH_MAX]);

/*
 * dfs_blob_put — make the temp file @tmpname (in tmp/, open as @fd) the
 * blob @hash: fsync it, rename it into blobs/ and fsync that directory;
 * *@stored_before is false. When the blob is stored already, sets
 * *@stored_before and leaves the temp file: once a record holds the blob,
 * dfs_blob_adopt removes the temp file (or makes it the blob, if a drop
 * removed the blob meanwhile). Returns 0 either way.
 * Errors: -ENOSPC, -EIO, other -errno; the temp file is left in place.
 */
int dfs_blob_put(struct dfs_store *st, int fd, const char *tmpname,
		 const uint8_t hash[32], bool *stored_before);

/*
 * dfs_blob_put_bytes — store @n bytes from memory as a blob (for tools and
 * tests); its hash into @hash. Bytes stored already are not stored twice;
 * either way the blob file exists on return. Returns 0.
 * Errors: -ENOSPC, -EIO, -ENOMEM, -errno.
 */
int dfs_blob_put_bytes(struct dfs_store *st, const void *buf, size_t n,
		       uint8_t hash[32]);

/* Open a blob for reading. Errors: -ENOENT (missing), -errno. */
int dfs_blob_open(struct dfs_store *st, const uint8_t hash[32], int *fd);

/*
 * dfs_blob_adopt — settle the temp file @tmpname that dfs_blob_put left
 * because blob @hash was stored already: under the blob lock, remove it,
 * or make it the blob if the blob was removed meanwhile. Errors: -errno.
 */
int dfs_blob_adopt(struct dfs_store *st, const char *tmpname,
		   const uint8_t hash[32]);

/*
 * dfs_blob_remove — remove a blob file no record refers to. Under the
 * blob lock, so that it cannot race dfs_blob_adopt. Errors: -EBUSY (a
 * record refers to it again), -ENOENT, -errno.
 */
int dfs_blob_remove(struct dfs_store *st, const uint8_t hash[32]);

/* True when the blob file exists. */
bool dfs_blob_exists(struct dfs_store *st, const uint8_t hash[32]);

#endif
