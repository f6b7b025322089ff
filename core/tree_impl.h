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

enum { INO_DEPLOYMENTS = 3, INO_PROJECTS, INO_STATUS, INO_STATUS_DIR };
#define INO_AUDIT (INO_STATUS_DIR + DFS_STATUS_COUNT)

enum ino_class { C_FIXED = 0, C_DEPLOYMENT = 1, C_PROJECT = 2, C_NODE = 3 };
enum {
	D_DIR,
	D_RECORD,
	D_PAYLOAD,
	D_PROJLINK,
	D_STATUSLINK,
	D_LOG,
	D_MANIFEST
};
enum { P_DROPBOX, P_DIR, P_LATEST, P_CURRENT };

/* Directory offsets: 1 ".", 2 "..", small fixed entries, then cursors. */
#define OFF_CURSOR  16
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

#endif
