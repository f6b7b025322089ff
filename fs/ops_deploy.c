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

void dfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		   mode_t mode, struct fuse_file_info *fi)
{
	struct dfs_fs *fs = dfs_fs_of(req);
	struct fuse_entry_param e = {0};
	struct dfs_caller c;
	struct dfs_file *f;
	int rc;

	dfs_fs_caller_groups(req, &c);
	rc = dfs_tree_create(fs->tree, parent, name, fi->flags, mode, &c, &f,
			     &e.attr);
	if (!rc)
		rc = dfs_fh_new(fs, f, fi);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	e.ino = e.attr.st_ino;
	if (fuse_reply_create(req, &e, fi) == -ENOENT)
		dfs_fh_free(fs, dfs_fh_of(fi)); /* the caller was interrupted */
}

/* In deploy/, a link to a deployment: renamed onto a project = rollback. */
void dfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		    const char *name)
{
	struct dfs_caller c;
	struct stat st;
	int rc;

	dfs_fs_caller_groups(req, &c);
	rc = dfs_tree_symlink(dfs_fs_of(req)->tree, parent, name, link, &c,
			      &st);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		dfs_fs_reply_entry(req, &st);
}

/*
 * With splice reads, a write's data arrives as a pipe: it goes to the
 * upload's file without being copied through this process.
 */
void dfs_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
		      off_t off, struct fuse_file_info *fi)
{
	struct dfs_file *f = dfs_fh_of(fi)->file;
	size_t size = fuse_buf_size(bufv);
	const struct fuse_buf *b = &bufv->buf[bufv->idx];
	struct fuse_bufvec mem = FUSE_BUFVEC_INIT(size);
	struct dfs_caller c;
	ssize_t got;
	int rc;

	dfs_fs_caller(req, &c);
	if (bufv->count - bufv->idx == 1 && (b->flags & FUSE_BUF_IS_FD) &&
	    !(b->flags & FUSE_BUF_FD_SEEK) && bufv->off == 0) {
		rc = dfs_file_write(f, DFS_SRC_FD(b->fd, size), (uint64_t)off,
				    &c);
	} else {
		mem.buf[0].mem = malloc(size);
		if (!mem.buf[0].mem) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		got = fuse_buf_copy(&mem, bufv, 0);
		rc = got < 0 ? (int)got
			     : dfs_file_write(
				       f,
				       DFS_SRC_MEM(mem.buf[0].mem, (size_t)got),
				       (uint64_t)off, &c);
		free(mem.buf[0].mem);
	}
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, size);
}

void dfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, -dfs_file_flush(dfs_fh_of(fi)->file));
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
	struct dfs_setattr sa;
	struct dfs_caller c;
	struct stat st;
	int rc;

	to_setattr(attr, to_set, &sa);
	dfs_fs_caller_groups(req, &c);
	rc = dfs_tree_setattr(dfs_fs_of(req)->tree, ino, &sa,
			      fi ? dfs_fh_of(fi)->file : NULL, &c, &st);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, 0);
}

void dfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		   fuse_ino_t newparent, const char *newname, unsigned flags)
{
	struct dfs_caller c;

	dfs_fs_caller_groups(req, &c);
	fuse_reply_err(req, -dfs_tree_rename(dfs_fs_of(req)->tree, parent, name,
					     newparent, newname, flags, &c));
}

void dfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct dfs_caller c;

	dfs_fs_caller_groups(req, &c);
	fuse_reply_err(
		req, -dfs_tree_unlink(dfs_fs_of(req)->tree, parent, name, &c));
}
