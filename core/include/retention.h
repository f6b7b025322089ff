/*
 * retention — which payloads to keep, so the store does not fill the disk.
 * Records are always kept; only payloads are dropped.
 *
 * A policy is per store, or per project (replacing the store's for that
 * project). A deployment's payload is kept when any of these holds:
 *   - it is its project's current, or it is pinned;
 *   - keep_success N: it is one of the project's N newest successes
 *     that still hold their payload;
 *   - keep_days D: it started less than D days ago;
 *   - max_bytes B: counting kept payloads newest first, it still fits in
 *     B bytes;
 * and every other payload goes, oldest first. A policy with no rule set
 * keeps everything. Policies apply after every commit and on gc.
 */
#ifndef DFS_RETENTION_H
#define DFS_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "store.h"

/* Policies are stored in the catalog: dfs_catalog_policy_get/_set. */

/* One payload a policy drops. */
struct dfs_drop {
	uint8_t id[16];
	char project[DFS_PROJECT_MAX + 1];
	uint8_t hash[32];
	uint64_t size;
	uint64_t freed; /* bytes the disk gets back: 0 while shared */
};

/*
 * dfs_retention_plan — what the policies would drop now, over @project
 * (NULL: every project), oldest first per project, with the bytes each
 * drop frees (a blob shared with records that stay frees nothing).
 * *@drops is malloc'd (the caller frees it); *@n its length. Errors:
 * -EINVAL (bad project name), -ENOMEM, the catalog's.
 */
int dfs_retention_plan(struct dfs_store *st, const char *project,
		       int64_t now_ms, struct dfs_drop **drops, size_t *n);

/*
 * dfs_retention_apply — drop what the plan says, in @actor's name (audit
 * events "payload_dropped"). *@freed (may be NULL): the bytes freed.
 * A payload that changed meanwhile (pinned, current, gone) is left.
 * Errors: as dfs_retention_plan, and the catalog's.
 */
int dfs_retention_apply(struct dfs_store *st, const char *project,
			const struct dfs_who *actor, uint64_t *freed,
			unsigned *dropped);

/*
 * dfs_retention_after_commit — apply the policy of @project, if it has
 * one (its own or the store's), in the name of this process. Best effort.
 */
void dfs_retention_after_commit(struct dfs_store *st, const char *project);

#endif
