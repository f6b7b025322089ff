/*
 * upload — a payload being received: a temp file in STORE/tmp, and whether
 * it was written in order.
 *
 * Invariant: while the upload is "sequential", every write so far was
 * appended at the end, so bytes [0, size) are final as soon as written and
 * a reader may trail the writer (see check.h, which hashes them on its own
 * thread). A write at any other offset, a truncate or a seed ends that.
 * Memory does not grow with the payload. Not thread-safe: the caller
 * serialises calls.
 */
#ifndef DFS_UPLOAD_H
#define DFS_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src.h"
#include <sys/types.h>

struct dfs_upload;

/*
 * dfs_upload_new — create the temp file @name in directory @dirfd
 * (O_EXCL). Errors: -EEXIST, -ENOSPC, -ENOMEM, other -errno.
 * Free with dfs_upload_free.
 */
int dfs_upload_new(int dirfd, const char *name, struct dfs_upload **out);

/*
 * dfs_upload_free — close the file; remove it too unless it was handed
 * over (see dfs_upload_finish and the blob store).
 */
void dfs_upload_free(struct dfs_upload *up, int remove);

/*
 * dfs_upload_set_max — no byte may lie at or past @max (none by default):
 * a write, truncate or seed that would put one there fails with -EFBIG
 * and changes nothing.
 */
void dfs_upload_set_max(struct dfs_upload *up, uint64_t max);

/*
 * Start from the contents of @srcfd (a copy; the hash is recomputed).
 * Errors: -EFBIG (larger than the maximum), -errno.
 */
int dfs_upload_seed(struct dfs_upload *up, int srcfd);

/*
 * dfs_upload_kick — start writing every byte not yet sent to the disk,
 * without waiting: the fsync that stores the file then waits less.
 * Writes and seeds kick by themselves, in steps of a few MiB.
 */
void dfs_upload_kick(struct dfs_upload *up);

/*
 * dfs_upload_write — @src's bytes at @off: from memory, or from the pipe
 * or file src->fd with splice(2), from which they go to the page cache
 * without passing through user space (the FUSE adapter hands write data
 * over this way). Errors: -EFBIG (past the maximum, or the offset
 * overflows), -ENOSPC, -EIO, other -errno.
 */
int dfs_upload_write(struct dfs_upload *up, const struct dfs_src *src,
		     uint64_t off);

/* Set the size. Errors: -EFBIG (past the maximum), -errno from ftruncate. */
int dfs_upload_truncate(struct dfs_upload *up, uint64_t size);

/* Read back up to @n bytes at @off into @buf; *@got is how many. */
int dfs_upload_read(struct dfs_upload *up, void *buf, size_t n, uint64_t off,
		    size_t *got);

uint64_t dfs_upload_size(const struct dfs_upload *up);
bool dfs_upload_sequential(const struct dfs_upload *up);
int dfs_upload_fd(const struct dfs_upload *up);
const char *dfs_upload_name(const struct dfs_upload *up);

/*
 * dfs_upload_finish — the payload's SHA-256 into @hash, read back from the
 * file. Returns 0 or -errno.
 */
int dfs_upload_finish(struct dfs_upload *up, uint8_t hash[32]);

/*
 * dfs_sha256_fd — SHA-256 of all of @fd from offset 0, streamed through a
 * fixed buffer; *@size is the bytes read. Returns 0, -EIO or -ENOMEM.
 */
int dfs_sha256_fd(int fd, uint8_t hash[32], uint64_t *size);

#endif
