/* ops — FUSE operations on the tree; writes are in ops_deploy.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fs.h"

/*
 * The tree changes under the kernel (a deploy commits, a record's status
 * moves): no entry or attribute is cached, so the next ls sees it all.
 */
#define TIMEOUT 0.0

/* Reply @st, known to the kernel as @node. */
static void reply_entry_as(fuse_req_t req, const struct stat *st, uint64_t node)
{
	struct fuse_entry_param e = {0};

	e.ino = node;
	e.attr = *st;
	e.attr_timeout = TIMEOUT;
	e.entry_timeout = TIMEOUT;
	fuse_reply_entry(req, &e);
}

void dfs_fs_reply_entry(fuse_req_t req, const struct stat *st)
{
	reply_entry_as(req, st, st->st_ino);
}

static void dfs_init(void *userdata, struct fuse_conn_info *conn)
{
	/* open(O_TRUNC) arrives as such, not as open then truncate. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* Reads of one handle in order, one at a time: see reader.h. */
	conn->want &= ~FUSE_CAP_ASYNC_READ;
	/* Writeback caching reorders writes and hides the writer's pid. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	conn->want &= ~FUSE_CAP_READDIRPLUS;
	/*
	 * No attributes fetched before every read: a handle reads one blob
	 * for its life, an inode (each deployed version of a drop box is
	 * one) shows one blob, and opens keep or drop cached pages as
	 * core/keepcache.h decides.
	 */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	/* Write data as a pipe, spliced into the upload's file. */
	if (conn->capable & FUSE_CAP_SPLICE_READ)
		conn->want |= FUSE_CAP_SPLICE_READ;
	/* Payloads are read by splicing from their blob file. */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_SPLICE_MOVE)
		conn->want |= FUSE_CAP_SPLICE_MOVE;
}

static void dfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct stat st;
	uint64_t node;
	int rc =
		dfs_tree_lookup(dfs_fs_of(req)->tree, parent, name, &st, &node);

	if (rc)
		fuse_reply_err(req, -rc);
	else
		reply_entry_as(req, &st, node);
}

static void dfs_getattr(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct stat st;
	int rc = dfs_tree_getattr(dfs_fs_of(req)->tree, ino, &st);

	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
}

static void dfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[128];
	int rc = dfs_tree_readlink(dfs_fs_of(req)->tree, ino, buf, sizeof(buf));

	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_readlink(req, buf);
}

struct dirbuf {
	fuse_req_t req;
	char *buf;
	size_t size;
	size_t used;
};

static int dir_fill(void *arg, const char *name, const struct stat *st,
		    uint64_t next)
{
	struct dirbuf *d = arg;
	size_t n = fuse_add_direntry(d->req, d->buf + d->used,
				     d->size - d->used, name, st, (off_t)next);

	if (n > d->size - d->used)
		return 1; /* full: this entry comes first next time */
	d->used += n;
	return 0;
}

static void dfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct dirbuf d = {req, malloc(size), size, 0};
	int rc;

	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = dfs_tree_readdir(dfs_fs_of(req)->tree, ino, (uint64_t)off,
			      dir_fill, &d);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_buf(req, d.buf, d.used);
	free(d.buf);
}

int dfs_fh_new(struct dfs_fs *fs, struct dfs_file *file,
	       struct fuse_file_info *fi)
{
	struct dfs_fh *fh = calloc(1, sizeof(*fh));

	if (!fh) {
		dfs_file_close(file);
		return -ENOMEM;
	}
	fh->file = file;
	pthread_mutex_lock(&fs->fh_lock);
	fh->next = fs->fhs;
	if (fs->fhs)
		fs->fhs->prev = fh;
	fs->fhs = fh;
	pthread_mutex_unlock(&fs->fh_lock);
	fi->fh = (uintptr_t)fh;
	fi->direct_io = dfs_file_direct_io(file);
	fi->keep_cache = dfs_file_keep_cache(file);
	return 0;
}

void dfs_fh_free(struct dfs_fs *fs, struct dfs_fh *fh)
{
	pthread_mutex_lock(&fs->fh_lock);
	if (fh->prev)
		fh->prev->next = fh->next;
	else
		fs->fhs = fh->next;
	if (fh->next)
		fh->next->prev = fh->prev;
	pthread_mutex_unlock(&fs->fh_lock);
	dfs_file_close(fh->file);
	free(fh);
}

void dfs_fs_free_handles(struct dfs_fs *fs)
{
	while (fs->fhs)
		dfs_fh_free(fs, fs->fhs);
}

static void dfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dfs_fs *fs = dfs_fs_of(req);
	struct dfs_file *f;
	struct dfs_caller c;
	int rc;

	dfs_fs_caller_groups(req, &c);
	rc = dfs_tree_open(fs->tree, ino, fi->flags, &c, &f);
	if (!rc)
		rc = dfs_fh_new(fs, f, fi);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (fuse_reply_open(req, fi) == -ENOENT)
		dfs_fh_free(fs, dfs_fh_of(fi)); /* the caller was interrupted */
}

/*
 * A payload's bytes go from its blob file to the kernel by splice, with
 * no copy through the daemon. Whether it replied: not when the file has
 * no span there (see dfs_file_span) and the bytes are to be copied.
 */
static bool read_spliced(fuse_req_t req, struct dfs_file *f, size_t size,
			 off_t off)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);
	size_t len = 0;
	int rc, fd = -1;

	rc = dfs_file_span(f, size, (uint64_t)off, &fd, &len);
	if (rc) {
		fuse_reply_err(req, -rc);
		return true;
	}
	if (fd < 0)
		return false;
	bv.buf[0].size = len;
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = fd; /* the request's own: the handle may be released */
	bv.buf[0].pos = off;
	fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
	close(fd);
	return true;
}

static void dfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct dfs_file *f = dfs_fh_of(fi)->file;
	size_t got = 0;
	char *buf;
	int rc;

	if (read_spliced(req, f, size, off))
		return;
	/*
	 * The reply is sent from a buffer of this request's own: once the
	 * reader has its bytes it may close, and release (on another
	 * thread) frees the handle while the reply is still returning.
	 */
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = dfs_file_read(f, buf, size, (uint64_t)off, &got);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_buf(req, buf, got);
	free(buf);
}

static void dfs_release(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	dfs_fh_free(dfs_fs_of(req), dfs_fh_of(fi));
	fuse_reply_err(req, 0);
}

static void dfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	int rc = dfs_store_statfs(dfs_fs_of(req)->st, &sv);

	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

/* Everything outside deploy/ is read-only; deploy/ holds files only. */
static void dfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode)
{
	struct dfs_caller c;
	struct stat st;
	int rc;

	dfs_fs_caller_groups(req, &c);
	rc = dfs_tree_mkdir(dfs_fs_of(req)->tree, parent, name, mode, &c, &st);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		dfs_fs_reply_entry(req, &st);
}

static void dfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, -dfs_tree_mknod(dfs_fs_of(req)->tree, parent));
}

static void dfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		     const char *newname)
{
	fuse_reply_err(req, -dfs_tree_mknod(dfs_fs_of(req)->tree, newparent));
}

static void dfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct dfs_caller c;

	dfs_fs_caller_groups(req, &c);
	fuse_reply_err(req,
		       -dfs_tree_rmdir(dfs_fs_of(req)->tree, parent, name, &c));
}

/* No getxattr: the kernel then stops asking for security.capability. */
const struct fuse_lowlevel_ops dfs_ops = {
	.init = dfs_init,
	.lookup = dfs_lookup,
	.getattr = dfs_getattr,
	.setattr = dfs_op_setattr,
	.readlink = dfs_readlink,
	.mknod = dfs_mknod,
	.mkdir = dfs_mkdir,
	.unlink = dfs_op_unlink,
	.rmdir = dfs_rmdir,
	.symlink = dfs_op_symlink,
	.rename = dfs_op_rename,
	.link = dfs_link,
	.open = dfs_open,
	.read = dfs_read,
	.write_buf = dfs_op_write_buf,
	.flush = dfs_op_flush,
	.release = dfs_release,
	.fsync = dfs_op_fsync,
	.readdir = dfs_readdir,
	.statfs = dfs_statfs,
	.create = dfs_op_create,
	.setxattr = dfs_op_setxattr,
	.removexattr = dfs_op_removexattr,
};
