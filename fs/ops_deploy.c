/* ops_deploy — FUSE operations that write: the drop boxes in deploy/. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "isotime.h"

void dfs_fs_caller(fuse_req_t req, struct dfs_caller *c)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	memset(c, 0, sizeof(*c));
	c->uid = ctx->uid;
	c->gid = ctx->gid;
	c->pid = ctx->pid;
}

void dfs_fs_caller_groups(fuse_req_t req, struct dfs_caller *c)
{
	gid_t groups[DFS_GROUPS_MAX];
	int n;

	dfs_fs_caller(req, c);
	/* libfuse reads them from /proc: only where permissions are checked. */
	n = fuse_req_getgroups(req, DFS_GROUPS_MAX, groups);
	for (int i = 0; i < n && i < DFS_GROUPS_MAX; i++)
		c->groups[c->ngroups++] = (uint32_t)groups[i];
}

static int new_fh(struct dfs_fs *fs, struct dfs_dbfile *f,
		  struct fuse_file_info *fi)
{
	struct dfs_fh *fh = dfs_fh_new(fs, DFS_NODE_DROPBOX);

	if (!fh)
		return -ENOMEM;
	fh->db = f;
	fi->fh = (uintptr_t)fh;
	/* Writers bypass the page cache: payloads can be many GB. */
	fi->direct_io = (fi->flags & O_ACCMODE) != O_RDONLY;
	return 0;
}

void dfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		   mode_t mode, struct fuse_file_info *fi)
{
	struct dfs_fs *fs = dfs_fs_of(req);
	struct fuse_entry_param e = {0};
	struct dfs_dbfile *f = NULL;
	struct dfs_dbstat ds;
	struct dfs_caller c;
	int rc;

	if (parent != DFS_INO_DEPLOY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	dfs_fs_caller_groups(req, &c);
	rc = dfs_dropbox_create(fs->db, name, fi->flags, mode, &c, &f);
	if (!rc)
		rc = dfs_dbfile_stat(f, &ds);
	if (!rc)
		rc = new_fh(fs, f, fi);
	if (rc) {
		dfs_dbfile_close(f);
		fuse_reply_err(req, -rc);
		return;
	}
	dfs_tree_dropbox_stat(&ds, &e.attr);
	e.ino = e.attr.st_ino;
	if (fuse_reply_create(req, &e, fi) == -ENOENT)
		dfs_fh_free(fs, dfs_fh_of(fi)); /* the caller was interrupted */
}

void dfs_op_open_dropbox(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct dfs_fs *fs = dfs_fs_of(req);
	enum dfs_dbkind kind;
	struct dfs_dbfile *f;
	struct dfs_caller c;
	uint64_t num;
	int rc;

	dfs_tree_dropbox_ref(ino, &kind, &num);
	dfs_fs_caller_groups(req, &c);
	rc = dfs_dropbox_open(fs->db, kind, num, fi->flags, &c, &f);
	if (!rc) {
		rc = new_fh(fs, f, fi);
		if (rc)
			dfs_dbfile_close(f);
	}
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (fuse_reply_open(req, fi) == -ENOENT)
		dfs_fh_free(fs, dfs_fh_of(fi));
}

/*
 * With splice reads, a write's data arrives as a pipe: it goes to the
 * upload's file without being copied through this process.
 */
void dfs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
		      off_t off, struct fuse_file_info *fi)
{
	struct dfs_fh *fh = dfs_fh_of(fi);
	size_t size = fuse_buf_size(bufv);
	const struct fuse_buf *b = &bufv->buf[bufv->idx];
	struct fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
	struct dfs_caller c;
	ssize_t got;
	int rc;

	if (fh->type != DFS_NODE_DROPBOX) {
		fuse_reply_err(req, EBADF);
		return;
	}
	dfs_fs_caller(req, &c);
	if (bufv->count - bufv->idx == 1 && (b->flags & FUSE_BUF_IS_FD) &&
	    !(b->flags & FUSE_BUF_FD_SEEK) && bufv->off == 0) {
		rc =
		    dfs_dbfile_write_fd(fh->db, b->fd, size, (uint64_t)off, &c);
	} else {
		mem.buf[0].mem = malloc(size);
		if (!mem.buf[0].mem) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		got = fuse_buf_copy(&mem, bufv, 0);
		rc = got < 0 ? (int)got
			     : dfs_dbfile_write(fh->db, mem.buf[0].mem,
						(size_t)got, (uint64_t)off, &c);
		free(mem.buf[0].mem);
	}
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, size);
}

void dfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dfs_fh *fh = dfs_fh_of(fi);
	int rc = 0;

	if (fh->type == DFS_NODE_DROPBOX)
		rc = dfs_dbfile_flush(fh->db);
	fuse_reply_err(req, -rc);
}

void dfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		  struct fuse_file_info *fi)
{
	dfs_op_flush(req, ino, fi);
}

static void to_setattr(const struct stat *attr, int to_set,
		       struct dfs_setattr *sa)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	sa->mask = 0;
	if (to_set & FUSE_SET_ATTR_MODE)
		sa->mask |= DFS_SET_MODE;
	if (to_set & FUSE_SET_ATTR_UID)
		sa->mask |= DFS_SET_UID;
	if (to_set & FUSE_SET_ATTR_GID)
		sa->mask |= DFS_SET_GID;
	if (to_set & FUSE_SET_ATTR_SIZE)
		sa->mask |= DFS_SET_SIZE;
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
		sa->mask |= DFS_SET_ATIME;
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))
		sa->mask |= DFS_SET_MTIME;
	sa->mode = attr->st_mode & 07777;
	sa->uid = attr->st_uid;
	sa->gid = attr->st_gid;
	sa->size = (uint64_t)attr->st_size;
	sa->atime = to_set & FUSE_SET_ATTR_ATIME_NOW ? now : attr->st_atim;
	sa->mtime = to_set & FUSE_SET_ATTR_MTIME_NOW ? now : attr->st_mtim;
}

void dfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		    int to_set, struct fuse_file_info *fi)
{
	struct dfs_fs *fs = dfs_fs_of(req);
	struct dfs_fh *fh = fi ? dfs_fh_of(fi) : NULL;
	struct dfs_setattr sa;
	struct dfs_dbstat ds;
	enum dfs_dbkind kind;
	struct dfs_caller c;
	struct stat st;
	uint64_t num;
	int rc;

	bool dir = ino == DFS_INO_DEPLOY;

	if (!dir && !dfs_tree_dropbox_ref(ino, &kind, &num)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	to_setattr(attr, to_set, &sa);
	dfs_fs_caller_groups(req, &c);
	rc = dir ? dfs_dropbox_dir_setattr(fs->db, &sa, &c, &ds)
		 : dfs_dropbox_setattr(
		       fs->db, kind, num,
		       fh && fh->type == DFS_NODE_DROPBOX ? fh->db : NULL, &sa,
		       &c, &ds);
	if (!rc)
		rc = dfs_tree_getattr(fs->tree, ino, &st);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_attr(req, &st, 0);
}

void dfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		   fuse_ino_t newparent, const char *newname, unsigned flags)
{
	struct dfs_caller c;

	if (parent != DFS_INO_DEPLOY || newparent != DFS_INO_DEPLOY) {
		fuse_reply_err(req, parent == newparent ? EROFS : EXDEV);
		return;
	}
	if (flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	dfs_fs_caller_groups(req, &c);
	fuse_reply_err(
	    req, -dfs_dropbox_rename(dfs_fs_of(req)->db, name, newname, &c));
}

void dfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct dfs_caller c;

	dfs_fs_caller_groups(req, &c);
	fuse_reply_err(
	    req, -dfs_tree_unlink(dfs_fs_of(req)->tree, parent, name, &c));
}
