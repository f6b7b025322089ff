/*
 * dropbox_file — an open handle on a drop box or staging file (see
 * dropbox.h): its reads, spans, writes, flush and close.
 */
#include "dropbox.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>

#include "deploy.h"
#include "dropbox_impl.h"

int dfs_dbfile_stat(struct dfs_dbfile *f, struct dfs_dbstat *out)
{
	if (f->kind == DFS_DB_PROJECT || f->kind == DFS_DB_VIEW)
		return dfs_dropbox_stat(f->db, f->kind, f->num, out);
	dfs_dropbox_node_stat(f->node, out);
	return 0;
}

int dfs_dbfile_read(struct dfs_dbfile *f, void *buf, size_t n, uint64_t off,
		    size_t *got)
{
	struct node *nd = f->node;
	int rc;

	if (nd) {
		pthread_mutex_lock(&nd->lock);
		if (nd->dep && !dfs_deploy_settled(nd->dep)) {
			rc = dfs_deploy_read(nd->dep, buf, n, off, got);
			pthread_mutex_unlock(&nd->lock);
			return rc;
		}
		pthread_mutex_unlock(&nd->lock);
	}
	if (!f->reader) {
		*got = 0;
		return 0;
	}
	return dfs_reader_read(f->reader, buf, n, off, got);
}

struct dfs_reader *dfs_dbfile_reader(struct dfs_dbfile *f)
{
	return dfs_dropbox_writable(f->flags) ? NULL : f->reader;
}

int dfs_dbfile_span(struct dfs_dbfile *f, size_t n, uint64_t off, int *fd,
		    size_t *len)
{
	struct node *nd = f->node;
	bool drafting = false;

	if (nd) {
		pthread_mutex_lock(&nd->lock);
		drafting = nd->dep && !dfs_deploy_settled(nd->dep);
		pthread_mutex_unlock(&nd->lock);
	}
	if (drafting || !f->reader) {
		*fd = -1;
		*len = 0;
		return 0;
	}
	return dfs_reader_span(f->reader, n, off, fd, len);
}

int dfs_dbfile_write(struct dfs_dbfile *f, const struct dfs_src *src,
		     uint64_t off, const struct dfs_caller *caller)
{
	struct node *nd = f->node;
	size_t n = src->n;
	int rc;

	if (!dfs_dropbox_writable(f->flags) || !nd)
		return -EBADF;
	pthread_mutex_lock(&nd->lock);
	/*
	 * Past max_payload, a write that would start a deployment is refused
	 * before anything is made; one in progress fails as too_large.
	 */
	if ((off + n < off || off + n > dfs_deploy_max_payload(f->db->conf)) &&
	    (!nd->dep || dfs_deploy_settled(nd->dep)))
		rc = -EFBIG;
	else
		rc = dfs_dropbox_draft_start(f->db, nd, caller);
	if (!rc)
		rc = dfs_deploy_write(nd->dep, src, off);
	if (!rc)
		nd->mtime = nd->ctime = dfs_dropbox_now();
	pthread_mutex_unlock(&nd->lock);
	return rc;
}

/* After a commit, reads through the handle see what was committed. */
static void reopen_committed(struct dfs_dbfile *f)
{
	const struct dfs_record *r = dfs_deploy_record(f->node->dep);
	struct dfs_reader *rd;

	if (dfs_reader_open(f->db->st, r, &rd) != 0)
		return;
	dfs_reader_close(f->reader);
	f->reader = rd;
}

int dfs_dbfile_flush(struct dfs_dbfile *f)
{
	struct node *nd = f->node;
	int rc = 0;

	if (!nd)
		return 0;
	pthread_mutex_lock(&nd->lock);
	if (nd->staging) {
		if (nd->dep && dfs_deploy_settled(nd->dep))
			rc = dfs_deploy_commit(nd->dep, NULL, NULL);
	} else if (nd->dep) {
		bool fresh = !dfs_deploy_settled(nd->dep);

		rc = dfs_dropbox_draft_commit(f->db, nd);
		if (fresh && rc == 0)
			reopen_committed(f);
	}
	pthread_mutex_unlock(&nd->lock);
	return rc;
}

void dfs_dbfile_close(struct dfs_dbfile *f)
{
	if (!f)
		return;
	if (f->node)
		dfs_dropbox_node_put(f->db, f->node);
	dfs_reader_close(f->reader);
	free(f);
}
