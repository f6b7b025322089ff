/*
 * project — what a project means above the catalog: who may use it, and
 * its removal with the files of its records.
 */
#ifndef DFS_PROJECT_H
#define DFS_PROJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "store.h"

/*
 * dfs_project_may — whether @c may read (DFS_MAY_READ) or write
 * (DFS_MAY_WRITE) project @p by its owner, group and mode, as the kernel
 * would judge a file; root may everything.
 */
#define DFS_MAY_READ  4
#define DFS_MAY_WRITE 2
bool dfs_project_may(const struct dfs_project *p, const struct dfs_caller *c,
		     unsigned want);

/*
 * dfs_project_remove — dfs_catalog_project_remove (its rules, batches and
 * errors), and after each batch the files of the records it removed:
 * their logs and manifests, and the blob files no record holds any more
 * (as dropping a payload does). *@removed is the records removed, *@freed
 * the bytes of blob files removed (0 for blobs other projects share).
 * Errors: those of dfs_catalog_project_remove.
 */
int dfs_project_remove(struct dfs_store *st, const char *name, bool force,
		       const struct dfs_who *actor, uint64_t *removed,
		       uint64_t *freed);

#endif
