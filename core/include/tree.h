/*
 * tree — the mounted tree as inode numbers, struct stat, names and link
 * targets, computed from the store; no FUSE in it (fs/ replies with it).
 *
 *   /  deploy/  deployments/<id>/{record.json,payload,log,manifest}
 *      deployments/<id>/deliveries/<node>.{json,log}  (shared catalog)
 *      projects/<p>/{<id>,latest,current,v<N>,nodes/<node>,nodes.json}
 *      status/{pending,success,failed}/
 *      newest/{<p>,<p>:<status>,:<status>,:all}/   (see below)
 *
 * Inode numbers are stable: fixed for the top directories, and derived
 * from a deployment's seq or a project's pseq (both never reused) for the
 * rest, so nothing is kept per inode and forget has nothing to do.
 * Listings page through LMDB cursors: a directory offset is the position
 * of the last entry returned, never an index into an array.
 */
#ifndef DFS_TREE_H
#define DFS_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "dropbox.h"
#include "store.h"

#define DFS_INO_ROOT   1
#define DFS_INO_DEPLOY 2

/* What an inode is, for the operations that differ by kind. */
enum dfs_node_type {
	DFS_NODE_DIR,
	DFS_NODE_LINK,
	DFS_NODE_RECORD,       /* deployments/<id>/record.json */
	DFS_NODE_PAYLOAD,      /* deployments/<id>/payload */
	DFS_NODE_DROPBOX,      /* deploy/<name> */
	DFS_NODE_AUDIT,	       /* audit.log */
	DFS_NODE_SIDE,	       /* deployments/<id>/log and manifest */
	DFS_NODE_DELIVERY,     /* deployments/<id>/deliveries/<node>.json */
	DFS_NODE_DELIVERY_LOG, /* deployments/<id>/deliveries/<node>.log */
	DFS_NODE_NONE,	       /* not a valid inode number */
};

struct dfs_tree;

/*
 * dfs_tree_new — a tree over @st and @db, with the top directories owned
 * by @uid/@gid (the mounting user). Free with dfs_tree_free. Errors:
 * -ENOMEM.
 */
int dfs_tree_new(struct dfs_store *st, struct dfs_dropbox *db, uid_t uid,
		 gid_t gid, struct dfs_tree **out);
void dfs_tree_free(struct dfs_tree *t);

enum dfs_node_type dfs_tree_type(uint64_t ino);

/*
 * dfs_tree_lookup — @name in directory @parent: its attributes into @s,
 * and into *@node (NULL: not wanted) the number the kernel is to know it
 * by. That is @s's st_ino, but for deploy/<p> with a deployment: one
 * number per deployed version (see dfs_dbstat.view), while st_ino stays
 * the project's. Errors: -ENOENT, -ENOTDIR, -EINVAL (bad name in
 * deploy/), -errno.
 */
int dfs_tree_lookup(struct dfs_tree *t, uint64_t parent, const char *name,
		    struct stat *s, uint64_t *node);
int dfs_tree_getattr(struct dfs_tree *t, uint64_t ino, struct stat *out);

/* A symlink's target into @buf (NUL-terminated). -EINVAL: not a link. */
int dfs_tree_readlink(struct dfs_tree *t, uint64_t ino, char *buf, size_t size);

/*
 * Called per directory entry with the offset that resumes after it;
 * return non-zero to stop (the buffer is full).
 */
typedef int (*dfs_tree_fill_fn)(void *arg, const char *name,
				const struct stat *st, uint64_t next);

/*
 * dfs_tree_readdir — the entries of directory @ino after offset @off
 * ("." and ".." included). Returns 0 or -errno (-ENOTDIR).
 */
int dfs_tree_readdir(struct dfs_tree *t, uint64_t ino, uint64_t off,
		     dfs_tree_fill_fn fn, void *arg);

/*
 * dfs_tree_unlink — rm in the tree: a staging file in deploy/, or a
 * deployment's payload (dropped, record kept; needs write permission on
 * the project, checked against @caller). Errors: -EROFS elsewhere,
 * -EACCES, -EBUSY (pending), -ENOENT, -EPERM (a project, or a
 * deployment's record.json, log or manifest).
 */
int dfs_tree_unlink(struct dfs_tree *t, uint64_t parent, const char *name,
		    const struct dfs_caller *caller);

/*
 * record.json's bytes (malloc'd, the caller frees them). Errors: -EINVAL
 * (not a record.json inode), -ENOENT, -ENOMEM, the catalog's.
 */
int dfs_tree_record(struct dfs_tree *t, uint64_t ino, char **buf, size_t *len);

/*
 * Open a deployment's log or manifest for reading, if @c may read it (the
 * project's owner, group and read bits, as stat shows them: the daemon
 * checks, so that a mount without default_permissions leaks nothing).
 * Errors: -ENOENT (none), -EACCES.
 */
int dfs_tree_open_side(struct dfs_tree *t, uint64_t ino,
		       const struct dfs_caller *c, int *fd);

/*
 * Open a deployment's payload, if @c may read it (as above). Errors:
 * -ENOENT when dropped, -EIO when missing, -EACCES.
 */
struct dfs_reader;
int dfs_tree_open_payload(struct dfs_tree *t, uint64_t ino,
			  const struct dfs_caller *c, struct dfs_reader **r);

/* ---- opening and changing (tree_open.c) ------------------------------ */

struct dfs_file;

/*
 * dfs_tree_open — open inode @ino with open(2) @flags for @c (see file.h
 * for what a handle is): a drop box as dropbox.h says; every other file
 * read-only, checked like the kernel would for payloads, logs and
 * manifests (the project's owner, group and read bits). *@out is the
 * caller's, closed with dfs_file_close. Errors: -EROFS (written outside
 * deploy/), -EISDIR (a directory for writing), -EINVAL (a directory or
 * link), -EACCES, -ENOENT (a payload dropped), -EIO (a payload missing),
 * the drop box's, -ENOMEM.
 */
int dfs_tree_open(struct dfs_tree *t, uint64_t ino, int flags,
		  const struct dfs_caller *c, struct dfs_file **out);

/*
 * dfs_tree_create — create and open deploy/@name (dfs_dropbox_create)
 * and fill @st with its attributes. Errors: -EROFS outside deploy/, and
 * dfs_dropbox_create's.
 */
int dfs_tree_create(struct dfs_tree *t, uint64_t parent, const char *name,
		    int flags, uint32_t mode, const struct dfs_caller *c,
		    struct dfs_file **out, struct stat *st);

/*
 * dfs_tree_symlink — in deploy/, a link to a deployment (the rollback
 * gesture, dfs_dropbox_symlink); fills @st. Errors: -EROFS elsewhere, and
 * dfs_dropbox_symlink's.
 */
int dfs_tree_symlink(struct dfs_tree *t, uint64_t parent, const char *name,
		     const char *target, const struct dfs_caller *c,
		     struct stat *st);

/*
 * dfs_tree_rename — within deploy/ and its staging directories only
 * (dfs_dropbox_rename: a commit, a rollback, a backup or a move of a
 * staging file). Errors: -EROFS (elsewhere), -EXDEV (into or out of them),
 * -EINVAL (@flags: no RENAME_NOREPLACE or EXCHANGE), and the drop box's.
 */
int dfs_tree_rename(struct dfs_tree *t, uint64_t parent, const char *name,
		    uint64_t newparent, const char *newname, unsigned flags,
		    const struct dfs_caller *c);

/*
 * dfs_tree_setattr — chmod, chown, truncate, utimens on deploy/ or a drop
 * box (through @f when the request came through an open handle, may be
 * NULL), then @st as getattr gives it. Errors: -EROFS (anything else),
 * and the drop box's.
 */
struct dfs_setattr;
int dfs_tree_setattr(struct dfs_tree *t, uint64_t ino,
		     const struct dfs_setattr *sa, struct dfs_file *f,
		     const struct dfs_caller *c, struct stat *st);

/*
 * dfs_tree_mknod — what mknod and link get: -EPERM in deploy/ (only
 * files, links to deployments and staging directories live there),
 * -EROFS elsewhere.
 */
int dfs_tree_mknod(struct dfs_tree *t, uint64_t parent);

/*
 * dfs_tree_mkdir — a staging directory in deploy/ (dfs_dropbox_mkdir);
 * fills @st. Errors: as dfs_tree_mknod for any other directory (staging
 * directories do not nest), and dfs_dropbox_mkdir's.
 */
int dfs_tree_mkdir(struct dfs_tree *t, uint64_t parent, const char *name,
		   uint32_t mode, const struct dfs_caller *c, struct stat *st);

/*
 * dfs_tree_rmdir — remove a staging directory (dfs_dropbox_rmdir).
 * Errors: -EROFS outside deploy/, -ENOTDIR, -ENOENT, and
 * dfs_dropbox_rmdir's.
 */
int dfs_tree_rmdir(struct dfs_tree *t, uint64_t parent, const char *name,
		   const struct dfs_caller *c);

/*
 * newest/ — query directories, looked up by name and never listed:
 * newest/<p> (project p), newest/<p>:<status>, newest/:<status> and
 * newest/:all list the matching deployments newest first, as links like
 * projects/<p>/<id>; a directory's st_size is the number it lists. The
 * offset after an entry is DFS_TREE_OFF_CURSOR + its seq (resuming lists
 * what is below it); an offset DFS_TREE_OFF_TIME + T (seekdir) starts at
 * the newest deployment started at or before T (Unix ms). A listing whose
 * resume point was removed meanwhile (project rm) ends there.
 */
#define DFS_TREE_OFF_CURSOR 16
#define DFS_TREE_OFF_TIME   (1ULL << 61)

/*
 * The pinned flag of a deployment, as the extended attribute
 * DFS_TREE_XATTR_PINNED of deployments/<id>/: present when pinned, set
 * to pin and removed to unpin, which needs write permission on the
 * project (checked against @caller). Errors: -ENODATA (@ino is not a
 * deployment's directory), -ENOTSUP (setting it elsewhere), -EACCES,
 * -ENOENT.
 */
#define DFS_TREE_XATTR_PINNED "user.pinned"
int dfs_tree_pinned(struct dfs_tree *t, uint64_t ino, bool *on);
int dfs_tree_set_pinned(struct dfs_tree *t, uint64_t ino, bool on,
			const struct dfs_caller *caller);

/* A drop box inode's entry in the dropbox, and back. */
bool dfs_tree_dropbox_ref(uint64_t ino, enum dfs_dbkind *kind, uint64_t *num);
uint64_t dfs_tree_dropbox_ino(enum dfs_dbkind kind, uint64_t num);

/* Fill @out from a drop box's attributes. */
void dfs_tree_dropbox_stat(const struct dfs_dbstat *db, struct stat *out);

#endif
