/*
 * tree_impl — inode layout and the tree's state, shared by tree.c and
 * tree_dir.c only.
 *
 * An inode number is class (4 bits) | number (56 bits) | kind (4 bits):
 * fixed directories, deployments by seq, projects by pseq, and dropbox
 * nodes by their number.
 */
#ifndef DFS_TREE_IMPL_H
#define DFS_TREE_IMPL_H

#include <time.h>

#include "tree.h"

enum {
	INO_DEPLOYMENTS = 3,
	INO_PROJECTS,
	INO_STATUS,
	INO_STATUS_DIR
};
#define INO_AUDIT  (INO_STATUS_DIR + DFS_STATUS_COUNT)
#define INO_NEWEST (INO_AUDIT + 1)

enum ino_class {
	C_FIXED = 0,
	C_DEPLOYMENT = 1,
	C_PROJECT = 2,
	C_NODE = 3,
	C_QUERY = 4, /* newest/<filter>: project pseq (0: all), 1 + status */
};
enum {
	D_DIR,
	D_RECORD,
	D_PAYLOAD,
	D_PROJLINK,
	D_STATUSLINK,
	D_LOG,
	D_MANIFEST
};
enum {
	P_DROPBOX,
	P_DIR,
	P_LATEST,
	P_CURRENT
};

/* Directory offsets: 1 ".", 2 "..", small fixed entries, then cursors. */
#define OFF_CURSOR  DFS_TREE_OFF_CURSOR
#define OFF_STAGING (1ULL << 62)
#define BLKSIZE	    (1 << 20)

struct dfs_tree {
	struct dfs_store *st;
	struct dfs_dropbox *db;
	uid_t uid;
	gid_t gid;
	struct timespec born;
};

static inline uint64_t mkino(enum ino_class c, uint64_t num, unsigned kind)
{
	return (uint64_t)c << 60 | (num & ((1ULL << 56) - 1)) << 4 | kind;
}

static inline enum ino_class ino_class(uint64_t ino)
{
	return (enum ino_class)(ino >> 60);
}

static inline uint64_t ino_num(uint64_t ino)
{
	return (ino >> 4) & ((1ULL << 56) - 1);
}

static inline unsigned ino_kind(uint64_t ino)
{
	return ino & 15;
}

extern const char *const dfs_tree_top_names[4];

/*
 * tree_query.c: newest/ and its query directories. The filter of query
 * directory @ino: @project (NUL-terminated, "" for every project) and
 * @status (-1: any). Errors: -ENOENT (the project is gone).
 */
int dfs_tree_query_filter(struct dfs_tree *t, uint64_t ino,
			  char project[DFS_PROJECT_MAX + 1], int *status);
int dfs_tree_query_lookup(struct dfs_tree *t, const char *name, struct stat *s);
int dfs_tree_query_getattr(struct dfs_tree *t, uint64_t ino, struct stat *s);
int dfs_tree_query_readdir(struct dfs_tree *t, uint64_t ino, uint64_t off,
			   dfs_tree_fill_fn fn, void *arg);

#endif
