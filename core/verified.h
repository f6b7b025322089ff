/*
 * verified — which blob files this process has proven to hold their
 * hash, so that a payload read once in full is not hashed again on every
 * read.
 *
 * A mark is kept per blob hash with the identity of the file when it was
 * proven: device, inode, size, mtime and ctime. It holds only while the
 * file is still that file: a write, truncate, chmod, touch or replacement
 * changes the ctime (which no one can set) or the inode, and voids it. A
 * file changed in the last DFS_VERIFIED_SETTLE_MS is never marked, so
 * that a change within one tick of the file system's clock cannot hide
 * behind an unchanged ctime. Bit rot that changes no metadata is not
 * seen by a mark: `deployctl verify` hashes every blob.
 *
 * Marks live in memory only (a restart forgets them) in a table of fixed
 * size, DFS_VERIFIED_SLOTS: a newer mark may push out an older one. The
 * blob store whose files they are keeps the table (dfs_blobs_verified);
 * a NULL table holds no marks and takes none. Thread-safe.
 */
#ifndef DFS_VERIFIED_H
#define DFS_VERIFIED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define DFS_VERIFIED_SLOTS     1024
#define DFS_VERIFIED_SETTLE_MS 50

struct dfs_verified;

/* A table with no marks. Errors: -ENOMEM. */
int dfs_verified_new(struct dfs_verified **out);
void dfs_verified_free(struct dfs_verified *v);

/* Whether the blob @hash, now @sb, was proven as it is now. */
bool dfs_verified_holds(struct dfs_verified *v, const uint8_t hash[32],
			const struct stat *sb);

/*
 * Mark the blob @hash proven while it was @sb (an fstat taken after its
 * bytes were hashed). Nothing is marked if @sb changed less than
 * DFS_VERIFIED_SETTLE_MS ago.
 */
void dfs_verified_mark(struct dfs_verified *v, const uint8_t hash[32],
		       const struct stat *sb);

/* Forget any mark of @hash (its bytes were found not to match). */
void dfs_verified_forget(struct dfs_verified *v, const uint8_t hash[32]);

#endif
