/* store — see store.h. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "blobs_pg.h"
#include "catalog_pg.h"
#include "store_impl.h"

static int open_subdir(int dirfd, const char *name, int *fd)
{
	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	*fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

static int take_lock(struct dfs_store *st)
{
	st->lockfd = openat(st->dirfd, "daemon.lock",
			    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lockfd < 0)
		return -errno;
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

/*
 * The catalog @sh names, in PostgreSQL: a daemon (the exclusive opener)
 * holds its node's lease; the tables are made on first use.
 */
static int open_shared(struct dfs_store *st, unsigned flags,
		       const struct dfs_store_shared *sh, const char *host,
		       char **err)
{
	unsigned cflags = DFS_CATALOG_CREATE;

	if (flags & DFS_STORE_EXCLUSIVE)
		cflags |= DFS_CATALOG_PG_DAEMON;
	return dfs_catalog_open_pg(sh->conninfo, cflags,
				   sh->node && *sh->node ? sh->node : host,
				   &st->cat, err);
}

/*
 * Open @dir's directory, then its catalog (@cat, taken over; else the
 * shared one @sh names; else the LMDB one in @dir), the lock, tmp/ and
 * the blob store (with @sh, the catalog-held one).
 */
static int store_open(const char *dir, unsigned flags, uint64_t map_size,
		      struct dfs_catalog *cat,
		      const struct dfs_store_shared *sh, struct dfs_store **out,
		      char **err)
{
	unsigned cflags = flags & DFS_STORE_CREATE ? DFS_CATALOG_CREATE : 0;
	char host[DFS_HOST_MAX] = "";
	struct dfs_store *st;
	int rc = 0;

	st = calloc(1, sizeof(*st));
	if (!st) {
		dfs_catalog_close(cat);
		return -ENOMEM;
	}
	st->dirfd = st->tmpfd = st->lockfd = -1;
	st->cat = cat;
	st->dir = strdup(dir);
	if (!st->dir) {
		rc = -ENOMEM;
		goto out_free;
	}
	if ((flags & DFS_STORE_CREATE) && mkdir(dir, 0700) < 0 &&
	    errno != EEXIST) {
		rc = -errno;
		goto out_free;
	}
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		rc = -errno;
		goto out_free;
	}
	if (gethostname(host, sizeof(host) - 1) < 0)
		strcpy(host, "localhost");
	/*
	 * The catalog first: a damaged store is refused before anything is
	 * made in it (without CREATE, a directory holding none too).
	 */
	if (!st->cat && sh)
		rc = open_shared(st, flags, sh, host, err);
	else if (!st->cat)
		rc = dfs_catalog_open_lmdb(dir, cflags, map_size, host,
					   &st->cat);
	if (rc)
		goto out_free;
	if (flags & DFS_STORE_EXCLUSIVE) {
		rc = take_lock(st);
		if (rc)
			goto out_free;
	}
	rc = open_subdir(st->dirfd, "tmp", &st->tmpfd);
	if (!rc && sh)
		rc = dfs_blobs_open_pg(sh->conninfo, st->dirfd, st->tmpfd,
				       st->cat, sh->cache_size, &st->blobs);
	else if (!rc)
		rc = dfs_blobs_open_local(st->dirfd, st->tmpfd, st->cat,
					  &st->blobs);
	if (rc)
		goto out_free;
	*out = st;
	return 0;

out_free:
	dfs_store_close(st);
	return rc;
}

int dfs_store_open(const char *dir, unsigned flags, uint64_t map_size,
		   struct dfs_store **out)
{
	return store_open(dir, flags, map_size, NULL, NULL, out, NULL);
}

int dfs_store_open_catalog(const char *dir, unsigned flags,
			   struct dfs_catalog *cat, struct dfs_store **out)
{
	return store_open(dir, flags, 0, cat, NULL, out, NULL);
}

int dfs_store_open_shared(const char *dir, unsigned flags,
			  const struct dfs_store_shared *sh,
			  struct dfs_store **out, char **err)
{
	if (err)
		*err = NULL;
	return store_open(dir, flags, 0, NULL, sh, out, err);
}

void dfs_store_close(struct dfs_store *st)
{
	if (!st)
		return;
	dfs_blobs_close(st->blobs);
	dfs_catalog_close(st->cat);
	if (st->tmpfd >= 0)
		close(st->tmpfd);
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	free(st);
}

const char *dfs_store_dir(const struct dfs_store *st)
{
	return st->dir;
}

struct dfs_catalog *dfs_store_catalog(const struct dfs_store *st)
{
	return st->cat;
}

struct dfs_blobs *dfs_store_blobs(const struct dfs_store *st)
{
	return st->blobs;
}

int dfs_store_statfs(struct dfs_store *st, struct statvfs *sv)
{
	return fstatvfs(st->dirfd, sv) < 0 ? -errno : 0;
}

/* Remove every regular file in tmp/ (uploads of a crashed daemon). */
static int clear_tmp(struct dfs_store *st)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = openat(st->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(st->tmpfd, de->d_name, 0) < 0 && errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	if (!rc && fsync(st->tmpfd) < 0)
		rc = -errno;
	return rc;
}

int dfs_store_clear_tmp(struct dfs_store *st)
{
	return st->lockfd < 0 ? -EPERM : clear_tmp(st);
}
