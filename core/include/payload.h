/*
 * payload — a deployment's payload as a whole: the record's hold on it
 * (catalog.h) and the bytes (blob.h) together.
 */
#ifndef DFS_PAYLOAD_H
#define DFS_PAYLOAD_H

#include <stdint.h>

#include "catalog.h"
#include "store.h"

/*
 * dfs_payload_drop — record @id stops holding its payload (the record
 * stays, payload_blob_present false, audit "payload_dropped" in @actor's
 * name; see dfs_catalog_drop_payload for @why), then the blob file goes
 * when no record holds it any more. *@freed is the bytes freed on disk:
 * 0 when another record holds the same blob or the payload was dropped
 * already. Errors: -ENOENT (no such record), -EBUSY (pending; for a
 * policy: pinned or current), and the catalog's.
 */
int dfs_payload_drop(struct dfs_store *st, const uint8_t id[16],
		     enum dfs_drop_why why, const struct dfs_who *actor,
		     uint64_t *freed);

#endif
