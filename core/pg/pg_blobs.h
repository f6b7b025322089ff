/*
 * pg/blobs — payload bytes in the shared catalog.
 *
 * A blob (a payload, named by its SHA-256) is an ordered list of
 * content-addressed chunks of DFS_PG_CHUNK bytes (the last one shorter):
 * deployfs.blobs holds its size and chunk count, deployfs.blob_chunks
 * the list, deployfs.chunks each distinct chunk once, so payloads that
 * share bytes at the same chunk boundaries share storage.
 *
 * Invariants:
 *  - a blob row exists only with all its chunks (one transaction), so a
 *    record that names a stored blob can always be read back whole;
 *  - every write streams: memory use is one chunk, whatever the size;
 *  - bytes are checked against the blob's hash on the way in (a file
 *    that changed under the writer is refused) and on the way out;
 *  - removing blobs and orphan chunks locks out concurrent puts for its
 *    duration (SHARE ROW EXCLUSIVE on chunks), so a chunk a put relies
 *    on is never removed under it.
 */
#ifndef DFS_PG_BLOBS_H
#define DFS_PG_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg.h"

#define DFS_PG_CHUNK (1u << 20)

/*
 * dfs_pg_blob_put_fd — store the @size bytes of @fd (read from offset 0
 * with pread) as blob @hash, committed on return; *@stored_before
 * (may be NULL) says the blob was there already (nothing was sent).
 * Runs its own transaction: not inside the caller's. Errors: -EBADMSG
 * (the bytes do not hash to @hash or are not @size long), -EINVAL (in a
 * transaction), -ENOSPC, -EIO, -errno from reading @fd.
 */
int dfs_pg_blob_put_fd(struct dfs_pg *pg, int fd, uint64_t size,
		       const uint8_t hash[32], bool *stored_before);

/*
 * dfs_pg_blob_stat — whether blob @hash is stored, its size and
 * reference count (what the records holding it add). Returns 0 (also
 * when absent: *@exists false) or -errno.
 */
int dfs_pg_blob_stat(struct dfs_pg *pg, const uint8_t hash[32], bool *exists,
		     uint64_t *size, uint64_t *refs);

/*
 * dfs_pg_blob_read — up to @n bytes of blob @hash from @off into @buf;
 * *@got is 0 at the end. Reads only the chunks it needs. Not verified:
 * a reader that must be sure fetches the whole blob (dfs_pg_blob_fetch).
 * Errors: -ENOENT (no such blob), -EIO, -errno.
 */
int dfs_pg_blob_read(struct dfs_pg *pg, const uint8_t hash[32], uint64_t off,
		     void *buf, size_t n, size_t *got);

/*
 * dfs_pg_blob_fetch — write blob @hash whole to @fd (from its current
 * position), one chunk at a time, checking each chunk's hash and the
 * blob's. Errors: -ENOENT (no such blob), -EBADMSG (stored bytes do not
 * match their hash: nothing written can be trusted), -EIO, -ENOSPC and
 * other -errno from writing @fd.
 */
int dfs_pg_blob_fetch(struct dfs_pg *pg, const uint8_t hash[32], int fd);

/*
 * dfs_pg_blob_remove — remove blob @hash if no record holds it (refs 0),
 * then the chunks no blob uses any more. *@freed (may be NULL): the
 * chunk bytes removed. Errors: -EBUSY (referenced), -ENOENT, -errno.
 */
int dfs_pg_blob_remove(struct dfs_pg *pg, const uint8_t hash[32],
		       uint64_t *freed);

/*
 * dfs_pg_blob_gc — remove every blob no record holds that was stored
 * more than @grace_ms ago (a younger one may be a deploy's, about to be
 * held by its record), and every chunk no blob uses: what an
 * interrupted deploy or remove left. *@blobs, *@freed (may be NULL): how
 * many blobs, how many chunk bytes. Returns 0 or -errno.
 */
int dfs_pg_blob_gc(struct dfs_pg *pg, int64_t grace_ms, uint64_t *blobs,
		   uint64_t *freed);

/*
 * dfs_pg_blob_unused — what dfs_pg_blob_gc would remove: *@blobs
 * unreferenced blobs older than @grace_ms, *@bytes their sizes.
 */
int dfs_pg_blob_unused(struct dfs_pg *pg, int64_t grace_ms, uint64_t *blobs,
		       uint64_t *bytes);

#endif
