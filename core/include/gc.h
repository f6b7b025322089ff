/*
 * gc — what nothing refers to any more: blob files with no referencing
 * record, and temp files left in STORE/tmp by uploads that never finished.
 *
 * While a daemon serves the store (it holds daemon.lock), tmp/ is its own
 * and is left alone, and a blob counts as an orphan only when it was
 * renamed into place more than DFS_GC_GRACE_S ago: a deploy commits its
 * record a moment after storing its blob.
 */
#ifndef DFS_GC_H
#define DFS_GC_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define DFS_GC_GRACE_S 600

struct dfs_orphans {
	unsigned blobs;
	uint64_t blob_bytes;
	unsigned temps;
	uint64_t temp_bytes;
	bool daemon; /* a daemon held the store: tmp/ left alone */
};

/*
 * dfs_gc_orphans — find (and unless @dry_run remove) orphan blobs and temp
 * files; counts into @out. Returns 0 or -errno.
 */
int dfs_gc_orphans(struct dfs_store *st, bool dry_run, struct dfs_orphans *out);

#endif
