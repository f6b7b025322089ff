/*
 * fs — the FUSE adapter: libfuse3 low-level operations over core/.
 *
 * The mount's state is one struct dfs_fs, the session's userdata. Each
 * operation unpacks its request, calls down into core/ and replies.
 */
#ifndef DFS_FS_H
#define DFS_FS_H

#include <fuse_lowlevel.h>
#include <pthread.h>

#include "dropbox.h"
#include "file.h"
#include "hook.h"
#include "store.h"
#include "tree.h"

struct dfs_fs {
	struct dfs_store *st;
	struct dfs_dropbox *db;
	struct dfs_tree *tree;
	struct dfs_hooks *hooks;
	/*
	 * Every open handle: the kernel sends no release for those still
	 * open when the connection ends (a lazy unmount, a signal), and
	 * dfs_fs_free_handles frees them at exit.
	 */
	pthread_mutex_t fh_lock;
	struct dfs_fh *fhs;
};

/* What an open file handle (fi->fh) points at. */
struct dfs_fh {
	struct dfs_file *file;
	struct dfs_fh *prev, *next; /* in dfs_fs.fhs, under fh_lock */
};

static inline struct dfs_fs *dfs_fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static inline struct dfs_fh *dfs_fh_of(const struct fuse_file_info *fi)
{
	return (struct dfs_fh *)(uintptr_t)fi->fh;
}

/*
 * dfs_fh_new — a handle for @file (taken over), listed in @fs, and set
 * in @fi with the file's cache hint; -ENOMEM (the file is then closed).
 * dfs_fh_free closes the file and unlists it; dfs_fs_free_handles frees
 * every handle still listed, once no request runs any more.
 */
int dfs_fh_new(struct dfs_fs *fs, struct dfs_file *file,
	       struct fuse_file_info *fi);
void dfs_fh_free(struct dfs_fs *fs, struct dfs_fh *fh);
void dfs_fs_free_handles(struct dfs_fs *fs);

/* The writer's identity from a request; with its groups, for checks. */
void dfs_fs_caller(fuse_req_t req, struct dfs_caller *c);
void dfs_fs_caller_groups(fuse_req_t req, struct dfs_caller *c);

/* Reply an entry for @st (timeouts: deployfs changes under the kernel). */
void dfs_fs_reply_entry(fuse_req_t req, const struct stat *st);

/* The operations that write (ops_deploy.c). */
void dfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		   mode_t mode, struct fuse_file_info *fi);
void dfs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
		      off_t off, struct fuse_file_info *fi);
void dfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void dfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi);
void dfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		    int to_set, struct fuse_file_info *fi);
void dfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		   fuse_ino_t newparent, const char *newname, unsigned flags);
void dfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void dfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		    const char *name);

/* The pinned flag as an extended attribute (ops_pin.c). */
void dfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		     const char *value, size_t size, int flags);
void dfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

extern const struct fuse_lowlevel_ops dfs_ops;

#endif
