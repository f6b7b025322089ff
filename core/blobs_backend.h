/*
 * blobs_backend — what a blob store implements (private to core/; each
 * operation's contract is the doc comment of the dfs_blobs_* function of
 * the same name in blobs.h). A backend's struct starts with a struct
 * dfs_blobs, whose ops it fills with a static table; tmpfd is the
 * directory of temp files that dfs_blobs_put_bytes writes into; verified
 * the marks of its files proven by this process (verified.h), made and
 * freed by the backend whose blob files they are, or NULL.
 */
#ifndef DFS_BLOBS_BACKEND_H
#define DFS_BLOBS_BACKEND_H

#include "blobs.h"

struct dfs_blobs_ops {
	void (*close)(struct dfs_blobs *b);
	int (*put)(struct dfs_blobs *b, int fd, const char *tmpname,
		   const uint8_t hash[32], bool *stored_before);
	int (*adopt)(struct dfs_blobs *b, const char *tmpname,
		     const uint8_t hash[32]);
	int (*open)(struct dfs_blobs *b, const uint8_t hash[32], int *fd);
	bool (*exists)(struct dfs_blobs *b, const uint8_t hash[32]);
	int (*remove)(struct dfs_blobs *b, const uint8_t hash[32]);
	void (*path)(struct dfs_blobs *b, const uint8_t hash[32],
		     char out[DFS_BLOB_PATH_MAX]);
	int (*orphans)(struct dfs_blobs *b, int64_t before, bool dry_run,
		       unsigned *n, uint64_t *bytes);
};

struct dfs_blobs {
	const struct dfs_blobs_ops *ops;
	int tmpfd;
	struct dfs_verified *verified; /* the backend's, or NULL: no marks */
};

#endif
