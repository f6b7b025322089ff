/*
 * passthrough — the read ceiling for scripts/bench.sh: a minimal FUSE
 * filesystem that serves one file, read-only, as MOUNTPOINT/blob, each
 * read spliced from the file's descriptor into the FUSE device with no
 * copy through the daemon. Mounted and served as deployfs is (the same
 * command line, options and multi-threaded loop), so that a read through
 * it costs what any FUSE read of that file must cost on this machine.
 *
 *   passthrough [-f] [-o opt,...] FILE MOUNTPOINT
 *
 * Not installed; built only for the benchmark.
 */
#define FUSE_USE_VERSION 314

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME	 "blob"
#define INO_FILE 2

struct pt {
	char *path; /* FILE as given */
	int fd;	    /* FILE, open for reading */
};

static struct pt *pt_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static int pt_stat(struct pt *pt, fuse_ino_t ino, struct stat *st)
{
	struct stat f;

	if (fstat(pt->fd, &f) != 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = f.st_uid;
	st->st_gid = f.st_gid;
	st->st_atim = f.st_atim;
	st->st_mtim = f.st_mtim;
	st->st_ctim = f.st_ctim;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (ino == INO_FILE) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = f.st_size;
		st->st_blocks = f.st_blocks;
	} else {
		return -ENOENT;
	}
	return 0;
}

static void pt_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Read replies spliced from the file, not copied through memory. */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_SPLICE_MOVE)
		conn->want |= FUSE_CAP_SPLICE_MOVE;
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = {0};
	int rc;

	if (parent != FUSE_ROOT_ID || strcmp(name, NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	rc = pt_stat(pt_of(req), INO_FILE, &e.attr);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	e.ino = INO_FILE;
	fuse_reply_entry(req, &e);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;
	int rc = pt_stat(pt_of(req), ino, &st);

	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, 0.0);
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != INO_FILE)
		fuse_reply_err(req, EISDIR);
	else if ((fi->flags & O_ACCMODE) != O_RDONLY)
		fuse_reply_err(req, EROFS);
	else
		fuse_reply_open(req, fi);
}

static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = pt_of(req)->fd;
	bv.buf[0].pos = off;
	fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	static const char *const names[] = {".", "..", NAME};
	static const fuse_ino_t inos[] = {FUSE_ROOT_ID, FUSE_ROOT_ID, INO_FILE};
	char buf[512];
	size_t cap = size < sizeof(buf) ? size : sizeof(buf);
	size_t used = 0;
	struct stat st = {0};

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	for (off_t i = off; i < 3; i++) {
		size_t n;

		st.st_ino = inos[i];
		st.st_mode = i < 2 ? S_IFDIR : S_IFREG;
		n = fuse_add_direntry(req, buf + used, cap - used, names[i],
				      &st, i + 1);
		if (n > cap - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static const struct fuse_lowlevel_ops pt_ops = {
	.init = pt_init,
	.lookup = pt_lookup,
	.getattr = pt_getattr,
	.open = pt_open,
	.read = pt_read,
	.readdir = pt_readdir,
};

static int take_file(void *data, const char *arg, int key,
		     struct fuse_args *outargs)
{
	struct pt *pt = data;

	if (key == FUSE_OPT_KEY_NONOPT && !pt->path) {
		pt->path = strdup(arg);
		return 0;
	}
	return 1;
}

static int serve(struct fuse_session *se, struct fuse_cmdline_opts *cmd)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (cmd->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return 1;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)cmd->clone_fd);
	fuse_loop_cfg_set_max_threads(cfg, cmd->max_threads);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmd = {0};
	struct pt pt = {NULL, -1};
	struct fuse_session *se;
	int rc = 1;

	if (fuse_opt_parse(&args, &pt, NULL, take_file) != 0 ||
	    fuse_parse_cmdline(&args, &cmd) != 0 || !pt.path ||
	    !cmd.mountpoint) {
		fprintf(stderr, "usage: %s [-f] [-o opt,...] FILE MOUNTPOINT\n",
			argv[0]);
		return 2;
	}
	pt.fd = open(pt.path, O_RDONLY | O_CLOEXEC);
	if (pt.fd < 0) {
		fprintf(stderr, "passthrough: cannot open '%s': %s\n", pt.path,
			strerror(errno));
		return 1;
	}
	se = fuse_session_new(&args, &pt_ops, sizeof(pt_ops), &pt);
	if (!se)
		goto out_close;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	fuse_daemonize(cmd.foreground);
	rc = serve(se, &cmd) ? 1 : 0;
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
out_close:
	close(pt.fd);
	free(pt.path);
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	return rc;
}
