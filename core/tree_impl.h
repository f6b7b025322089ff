/*
 * tree_impl — inode layout and the tree's state, shared by tree.c and
 * tree_dir.c only.
 *
 * An inode number is class (4 bits) | number (56 bits) | kind (4 bits):
 * fixed directories, deployments by seq, projects by pseq, and dropbox
 * nodes by their number. deploy/<p> looked up by name is numbered by its
 * current deployment's seq (C_BOXVIEW): each deployed version is an inode
 * of its own, as a rename over a file makes one (see dfs_dbstat.view);
 * by its project's pseq only while it has no deployment. A node's delivery files and its link in a
 * project's nodes/ are numbered seq or pseq (40 bits) | node id (16 bits,
 * the catalog's node number, never reused): see tree_fleet.c.
 */
#ifndef DFS_TREE_IMPL_H
#define DFS_TREE_IMPL_H

#include <string.h>
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
	C_QUERY = 4,	/* newest/<filter>: project pseq (0: all), 1 + status */
	C_DELIVERY = 5, /* deliveries/<node>.{json,log}: seq | node id */
	C_NODELINK = 6, /* projects/<p>/nodes/<node>: pseq | node id */
	C_BOXVIEW = 7,	/* deploy/<p> as it showed deployment seq (kind 0) */
};
enum {
	D_DIR,
	D_RECORD,
	D_PAYLOAD,
	D_PROJLINK,
	D_STATUSLINK,
	D_LOG,
	D_MANIFEST,
	D_DELIVERIES
};
enum {
	P_DROPBOX,
	P_DIR,
	P_LATEST,
	P_CURRENT,
	P_NODES,
	P_FLEET /* projects/<p>/nodes.json */
};
enum {
	DL_JSON,
	DL_LOG
};
enum {
	N_FILE, /* a staging file, link or new project's file */
	N_DIR	/* a staging directory */
};

/* Directory offsets: 1 ".", 2 "..", small fixed entries, then cursors. */
#define OFF_CURSOR  DFS_TREE_OFF_CURSOR
#define OFF_STAGING (1ULL << 62)
#define BLKSIZE	    (1 << 20)

struct dfs_tree {
	struct dfs_store *st;
	struct dfs_dropbox *db;
	struct dfs_keepcache *kc;
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

static inline void base_stat(struct stat *s, uint64_t ino, mode_t mode,
			     uid_t uid, gid_t gid, struct timespec tm)
{
	memset(s, 0, sizeof(*s));
	s->st_ino = ino;
	s->st_mode = mode;
	s->st_nlink = S_ISDIR(mode) ? 2 : 1;
	s->st_uid = uid;
	s->st_gid = gid;
	s->st_blksize = BLKSIZE;
	s->st_atim = s->st_mtim = s->st_ctim = tm;
}

static inline void set_size(struct stat *s, uint64_t size)
{
	s->st_size = (off_t)size;
	s->st_blocks = (blkcnt_t)((size + 511) / 512);
}

extern const char *const dfs_tree_top_names[4];

/*
 * tree_open.c: the drop box's name of @name in directory @parent (deploy/
 * or a staging directory, see dropbox.h) into @buf. Errors: -EROFS (any
 * other directory), dfs_dropbox_dir_path's.
 */
int dfs_tree_dropbox_path(struct dfs_tree *t, uint64_t parent, const char *name,
			  char *buf, size_t size);
/*
 * Look @name up in deploy/ or a staging directory @parent: a drop box, a
 * staging file or directory, or in deploy/ a backup name (the payload it
 * shows, see dfs_dropbox_backup). Errors: -ENOENT, -errno.
 */
int dfs_tree_dropbox_lookup(struct dfs_tree *t, uint64_t parent,
			    const char *name, struct stat *s, uint64_t *node);

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

/*
 * tree_fleet.c: what followers delivered (a PostgreSQL catalog only;
 * elsewhere none of it exists). dfs_tree_fleet_on says whether it does.
 * The directories deployments/<id>/deliveries/ and projects/<p>/nodes/
 * (stat'ed as the deployment's and the project's directories are), the
 * files and links in them, record.json with its deliveries counts.
 */
bool dfs_tree_fleet_on(struct dfs_tree *t);
int dfs_tree_fleet_getattr(struct dfs_tree *t, uint64_t ino, struct stat *s);
int dfs_tree_fleet_lookup(struct dfs_tree *t, uint64_t parent, const char *name,
			  struct stat *s);
int dfs_tree_fleet_readdir(struct dfs_tree *t, uint64_t ino, uint64_t off,
			   dfs_tree_fill_fn fn, void *arg);
int dfs_tree_fleet_readlink(struct dfs_tree *t, uint64_t ino, char *buf,
			    size_t size);
struct dfs_file;
/* A <node>.json of deliveries/, or a project's nodes.json. */
int dfs_tree_fleet_json(struct dfs_tree *t, uint64_t ino, char **buf,
			size_t *len);
/* projects/<p>/nodes.json's attributes. */
int dfs_tree_fleet_view_stat(struct dfs_tree *t, const struct dfs_project *p,
			     struct stat *s);
/* Errors: -EACCES (the project's read bits), -ENOENT, -ENOMEM. */
int dfs_tree_fleet_open_log(struct dfs_tree *t, uint64_t ino,
			    const struct dfs_caller *c, struct dfs_file *f);
int dfs_tree_record_render(struct dfs_tree *t, const struct dfs_record *r,
			   char **buf, size_t *len);

#endif
