/*
 * verify — prove that what is stored is what was sent: every record that
 * holds a payload is checked against its blob (present, right size, right
 * SHA-256). Each blob is hashed once however many records share it; the
 * records are walked in pages, so no read transaction lasts longer than a
 * page and memory grows only with the number of distinct blobs.
 */
#ifndef DFS_VERIFY_H
#define DFS_VERIFY_H

#include <stdint.h>

#include "blobs.h"
#include "record.h"
#include "store.h"

enum dfs_problem_kind {
	DFS_PROBLEM_MISSING, /* no blob file */
	DFS_PROBLEM_SIZE,    /* the blob's size differs */
	DFS_PROBLEM_HASH,    /* the blob's bytes do not hash to the record's */
};

struct dfs_problem {
	uint8_t id[16];
	char project[DFS_PROJECT_MAX + 1];
	enum dfs_problem_kind kind;
	uint64_t expected_size;
	uint64_t found_size;
	char path[DFS_BLOB_PATH_MAX]; /* the blob, relative to the store */
};

/*
 * dfs_verify — check the records of deployment @id (NULL: all), or of
 * @project (NULL: every project), calling @fn for each problem (non-zero
 * stops). *@checked is the number of payloads checked. Returns 0 or
 * -errno (-ENOENT: no such deployment or project).
 */
int dfs_verify(struct dfs_store *st, const char *project, const uint8_t *id,
	       int (*fn)(void *arg, const struct dfs_problem *p), void *arg,
	       uint64_t *checked);

#endif
