/*
 * version — the names people say: every deployment of a project gets the
 * next number of the project's counter (1, 2, 3 …) when it is created,
 * rollbacks included, and keeps it. A counter is never reset: numbers
 * are not reused, not even after dfs_project_remove and a new deploy to
 * the same name (the counter outlives the project).
 *
 * The index "by_version" maps (project, version) to the deployment's id
 * and seq: a lookup is one B-tree get, whatever the number of records.
 */
#ifndef DFS_VERSION_H
#define DFS_VERSION_H

#include <stdint.h>

#include "store.h"

/*
 * dfs_version_lookup — the id (and seq, may be NULL) of deployment
 * @version of @project. Errors: -EINVAL (bad project name or version 0),
 * -ENOENT (no such deployment: never made, or its project removed),
 * -errno.
 */
int dfs_version_lookup(struct dfs_store *st, const char *project,
		       uint64_t version, uint8_t id[16], uint64_t *seq);

#endif
