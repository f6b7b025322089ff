/*
 * blobs — payload bytes, content-addressed by SHA-256, stored once each
 * however often they are deployed: one interface, several backends
 * (blobs_backend.h). The local one keeps STORE/blobs/<aa>/<sha256 hex>
 * (<aa> the hash's first byte), each file written once (from a temp file,
 * fsynced, renamed in, directory fsynced) and never modified; a
 * catalog-held one keeps the bytes in the shared catalog and a verified
 * read-through cache here.
 *
 * Layering (see catalog.h): a blob store sits above the catalog and asks
 * it only for reference counts (a blob is removed only while no record
 * holds it); it knows nothing else of records. Every function returns 0
 * or -errno unless it says otherwise.
 */
#ifndef DFS_BLOBS_H
#define DFS_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dfs_blobs;
struct dfs_catalog;

/*
 * dfs_blobs_open_local — the blob files under directory @dirfd/blobs
 * (created if missing), with temp files in @tmpfd and references from
 * @cat. Both fds and @cat are borrowed: they must outlive the blob store.
 * Errors: -ENOMEM, -errno from the filesystem.
 */
int dfs_blobs_open_local(int dirfd, int tmpfd, struct dfs_catalog *cat,
			 struct dfs_blobs **out);

/* Close and free @b (NULL is a no-op). */
void dfs_blobs_close(struct dfs_blobs *b);

/*
 * dfs_blobs_put — store the bytes of the temp file @tmpname (in the tmp
 * directory, open as @fd) as blob @hash, durable on return; *@stored_before
 * is false. When the blob is stored already, sets *@stored_before and
 * leaves the temp file: once a record holds the blob, dfs_blobs_adopt
 * settles it. Returns 0 either way. Errors: -ENOSPC, -EIO, other -errno;
 * the temp file is left in place.
 */
int dfs_blobs_put(struct dfs_blobs *b, int fd, const char *tmpname,
		  const uint8_t hash[32], bool *stored_before);

/*
 * dfs_blobs_adopt — settle the temp file @tmpname that dfs_blobs_put left
 * because blob @hash was stored already: remove it, or make it the blob
 * if the blob was removed meanwhile (never racing dfs_blobs_remove).
 * Errors: -ENOSPC, -EIO, -errno.
 */
int dfs_blobs_adopt(struct dfs_blobs *b, const char *tmpname,
		    const uint8_t hash[32]);

/*
 * dfs_blobs_put_bytes — store @n bytes from memory as a blob (tools and
 * tests); its hash into @hash. Bytes stored already are not stored twice;
 * either way the blob is there on return. Errors: -ENOSPC, -EIO,
 * -ENOMEM, -errno.
 */
int dfs_blobs_put_bytes(struct dfs_blobs *b, const void *buf, size_t n,
			uint8_t hash[32]);

/*
 * dfs_blobs_open — an fd to read blob @hash from (the caller closes it).
 * The bytes are not checked here (reader.h and verify.h do). Errors:
 * -ENOENT (missing), -errno.
 */
int dfs_blobs_open(struct dfs_blobs *b, const uint8_t hash[32], int *fd);

/*
 * dfs_blobs_verified — the marks of the blob files this process proved
 * to hold their hash (verified.h; reader.h sets and reads them), or NULL
 * when the backend keeps none. Lives as long as @b.
 */
struct dfs_verified;
struct dfs_verified *dfs_blobs_verified(struct dfs_blobs *b);

/* Whether blob @hash is stored. */
bool dfs_blobs_exists(struct dfs_blobs *b, const uint8_t hash[32]);

/*
 * dfs_blobs_remove — remove blob @hash, which no record refers to; the
 * references are checked again under the lock that dfs_blobs_adopt takes.
 * Errors: -EBUSY (a record refers to it again), -ENOENT, -errno.
 */
int dfs_blobs_remove(struct dfs_blobs *b, const uint8_t hash[32]);

/*
 * dfs_blobs_path — where blob @hash's bytes are read from, relative to
 * the store's directory ("blobs/aa/<hex>"), for hooks and reports.
 */
#define DFS_BLOB_PATH_MAX 80
void dfs_blobs_path(struct dfs_blobs *b, const uint8_t hash[32],
		    char out[DFS_BLOB_PATH_MAX]);

/*
 * dfs_blobs_orphans — count (and unless @dry_run remove) the blobs no
 * record refers to that were stored before @before (seconds since the
 * epoch; a younger one may be a deploy's about to be held). Adds to *@n
 * and *@bytes. Errors: -errno (the catalog's, the filesystem's).
 */
int dfs_blobs_orphans(struct dfs_blobs *b, int64_t before, bool dry_run,
		      unsigned *n, uint64_t *bytes);

#endif
