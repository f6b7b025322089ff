/* file — see file.h. */
#include "file_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "delivery_pg.h"

struct dfs_file *dfs_file_new(enum dfs_file_kind kind)
{
	struct dfs_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->kind = kind;
	f->fd = -1;
	return f;
}

bool dfs_file_direct_io(const struct dfs_file *f)
{
	return f->direct_io;
}

bool dfs_file_keep_cache(const struct dfs_file *f)
{
	return f->keep_cache;
}

static int read_snapshot(struct dfs_file *f, void *buf, size_t n, uint64_t off,
			 size_t *got)
{
	size_t left = off < f->len ? f->len - (size_t)off : 0;

	*got = left < n ? left : n;
	if (*got)
		memcpy(buf, f->buf + off, *got);
	return 0;
}

int dfs_file_read(struct dfs_file *f, void *buf, size_t n, uint64_t off,
		  size_t *got)
{
	ssize_t r;

	switch (f->kind) {
	case DFS_FILE_RECORD:
		return read_snapshot(f, buf, n, off, got);
	case DFS_FILE_AUDIT:
		return dfs_catalog_audit_read(dfs_store_catalog(f->st), off,
					      buf, n, got);
	case DFS_FILE_PAYLOAD:
		return dfs_reader_read(f->reader, buf, n, off, got);
	case DFS_FILE_DROPBOX:
		return dfs_dbfile_read(f->db, buf, n, off, got);
	case DFS_FILE_DLOG:
		return dfs_delivery_pg_log_read(dfs_store_catalog(f->st), f->id,
						f->node, off, buf, n, got);
	case DFS_FILE_SIDE:
		r = pread(f->fd, buf, n, (off_t)off);
		if (r < 0)
			return -errno;
		*got = (size_t)r;
		return 0;
	}
	return -EBADF;
}

int dfs_file_span(struct dfs_file *f, size_t n, uint64_t off, int *fd,
		  size_t *len)
{
	switch (f->kind) {
	case DFS_FILE_PAYLOAD:
		return dfs_reader_span(f->reader, n, off, fd, len);
	case DFS_FILE_DROPBOX:
		return dfs_dbfile_span(f->db, n, off, fd, len);
	case DFS_FILE_RECORD:
	case DFS_FILE_AUDIT:
	case DFS_FILE_SIDE:
	case DFS_FILE_DLOG:
		break;
	}
	*fd = -1; /* no blob file under these bytes */
	*len = 0;
	return 0;
}

int dfs_file_write(struct dfs_file *f, const struct dfs_src *src, uint64_t off,
		   const struct dfs_caller *c)
{
	if (f->kind != DFS_FILE_DROPBOX)
		return -EBADF;
	return dfs_dbfile_write(f->db, src, off, c);
}

int dfs_file_flush(struct dfs_file *f)
{
	return f->kind == DFS_FILE_DROPBOX ? dfs_dbfile_flush(f->db) : 0;
}

void dfs_file_close(struct dfs_file *f)
{
	if (!f)
		return;
	if (f->kc) {
		struct dfs_reader *r = f->reader ? f->reader
				       : f->db	 ? dfs_dbfile_reader(f->db)
						 : NULL;

		dfs_keepcache_close(f->kc, f->kc_ino, f->kc_proven,
				    r && dfs_reader_proven(r));
	}
	dfs_dbfile_close(f->db);
	dfs_reader_close(f->reader);
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	free(f->node);
	free(f);
}
