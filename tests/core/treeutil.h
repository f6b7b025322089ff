/*
 * treeutil — what the tree tests share: a store, a dropbox and a tree per
 * test, a small world of deployments of every status, and path walks and
 * paged listings spelt out on the tree API. Each helper fails the running
 * test on an unexpected error.
 */
#ifndef DFS_TREEUTIL_H
#define DFS_TREEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "record.h"
#include "testutil.h"
#include "tree.h"

#define TU_LIST_MAX 128

/* A, B: web success; C: api failed; D: web failed; E: api pending. */
enum {
	TU_A,
	TU_B,
	TU_C,
	TU_D,
	TU_E,
	TU_NWORLD
};

struct tu_world {
	struct dfs_record rec[TU_NWORLD];
	char id[TU_NWORLD][37]; /* canonical text of each id */
};

/* A directory listing, as a FUSE buffer would take it. */
struct tu_listing {
	size_t n;
	size_t quota; /* entries accepted per readdir call */
	size_t taken;
	char names[TU_LIST_MAX][64];
	uint64_t ino[TU_LIST_MAX];
	uint64_t next[TU_LIST_MAX];
};

/* tu_store_setup plus a dropbox and a tree; teardown frees all three. */
int tu_tree_setup(void **state);
int tu_tree_teardown(void **state);
struct dfs_tree *tu_tree(struct tu_fix *fix);
struct dfs_dropbox *tu_tree_db(struct tu_fix *fix);

/* A real deploy of a tar.gz (@good) or of text (failed: not_an_archive). */
void tu_tree_deploy(struct tu_fix *fix, const char *project, uint32_t seed,
		    bool good, struct dfs_record *rec);
/* Deployments A to E, in that order. */
void tu_world_make(struct tu_fix *fix, struct tu_world *w);

/* Walk @path ("" is the root) from the root, one lookup per name. */
void tu_resolve(struct tu_fix *fix, const char *path, struct stat *s);
/* The inode number of the path formatted from @fmt. */
uint64_t tu_ino(struct tu_fix *fix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * All of directory @ino through readdir calls that take @quota entries
 * each (SIZE_MAX: one call), each resuming at the last entry's `next`.
 */
void tu_list(struct tu_fix *fix, uint64_t ino, size_t quota,
	     struct tu_listing *l);
bool tu_listed(const struct tu_listing *l, const char *name);

/* Link @ino reads "../../deployments/@id". */
void tu_assert_link(struct tu_fix *fix, uint64_t ino, const char *id);

#endif
