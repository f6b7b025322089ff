/* pg/blobs_pg — the catalog-held blob store (see blobs_pg.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blobs_backend.h"
#include "blobs_pg.h"
#include "pg_blobs.h"

/* How many eviction candidates one pass over the cache keeps. */
#define EVICT_BATCH 32

struct pgblobs {
	struct dfs_blobs base;
	struct dfs_blobs *cache; /* the local store over STORE/blobs */
	int dirfd;
	int tmpfd;
	struct dfs_pg *pg; /* its own session: transfers block no catalog op */
	pthread_mutex_t lock; /* pg, cached, fill counter */
	uint64_t cache_size;
	uint64_t cached; /* bytes under blobs/, as far as we know */
	unsigned fills;
};

static struct pgblobs *pgb(struct dfs_blobs *b)
{
	return (struct pgblobs *)b;
}

/* Call @fn for each file under @storefd/blobs/<aa>/. */
static int walk_cache(int storefd,
		      void (*fn)(void *arg, int fan, const char *name,
				 const struct stat *st),
		      void *arg)
{
	int bfd = openat(storefd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (bfd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(bfd);
	if (!d) {
		close(bfd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		int fan = openat(dirfd(d), de->d_name,
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct dirent *fe;
		struct stat st;
		DIR *fd;

		if (de->d_name[0] == '.' || fan < 0) {
			if (fan >= 0)
				close(fan);
			continue;
		}
		fd = fdopendir(fan);
		if (!fd) {
			close(fan);
			continue;
		}
		while ((fe = readdir(fd)) != NULL)
			if (fe->d_name[0] != '.' &&
			    fstatat(dirfd(fd), fe->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode))
				fn(arg, dirfd(fd), fe->d_name, &st);
		closedir(fd);
	}
	closedir(d);
	return 0;
}

static void add_size(void *arg, int fan, const char *name,
		     const struct stat *st)
{
	(void)fan;
	(void)name;
	*(uint64_t *)arg += (uint64_t)st->st_size;
}

struct victims {
	unsigned n;
	struct {
		struct timespec atime;
		char name[72]; /* "aa/<hex>" */
		uint64_t size;
	} v[EVICT_BATCH];
};

static bool older(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Keep the EVICT_BATCH least recently read files. */
static void pick(void *arg, int fan, const char *name, const struct stat *st)
{
	struct victims *vs = arg;
	unsigned at = vs->n;

	(void)fan;
	if (strlen(name) != 64)
		return; /* not a copy of the cache's own: a blob is named by hash */
	if (vs->n == EVICT_BATCH) {
		unsigned newest = 0;

		for (unsigned i = 1; i < vs->n; i++)
			if (older(&vs->v[newest].atime, &vs->v[i].atime))
				newest = i;
		if (!older(&st->st_atim, &vs->v[newest].atime))
			return;
		at = newest;
	} else {
		vs->n++;
	}
	vs->v[at].atime = st->st_atim;
	vs->v[at].size = (uint64_t)st->st_size;
	memcpy(vs->v[at].name, name, 2);
	vs->v[at].name[2] = '/';
	memcpy(vs->v[at].name + 3, name, 65);
}

/*
 * Bring the cache under its size: remove the least recently read copies
 * (an open reader keeps its fd). The database still holds every byte.
 * Called with the lock held.
 */
static void evict(struct pgblobs *b)
{
	int bfd = openat(b->dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (bfd < 0)
		return;
	while (b->cached > b->cache_size) {
		struct victims vs = {0};

		if (walk_cache(b->dirfd, pick, &vs) != 0 || vs.n == 0)
			break;
		for (unsigned i = 0; i < vs.n && b->cached > b->cache_size;
		     i++) {
			if (unlinkat(bfd, vs.v[i].name, 0) == 0)
				b->cached -= vs.v[i].size < b->cached
						     ? vs.v[i].size
						     : b->cached;
		}
	}
	close(bfd);
}

static void pg_close(struct dfs_blobs *base)
{
	struct pgblobs *b = pgb(base);

	dfs_blobs_close(b->cache);
	dfs_pg_close(b->pg);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static int pg_put(struct dfs_blobs *base, int fd, const char *tmpname,
		  const uint8_t hash[32], bool *stored_before)
{
	struct pgblobs *b = pgb(base);
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	/* Committed in the database first: that is what every host reads. */
	pthread_mutex_lock(&b->lock);
	rc = dfs_pg_blob_put_fd(b->pg, fd, (uint64_t)st.st_size, hash, NULL);
	/* A put is one transaction, and claims its blob: safe to repeat
	 * once on a session found lost (a server restart meanwhile). */
	if (rc == -EIO && !dfs_pg_connected(b->pg))
		rc = dfs_pg_blob_put_fd(b->pg, fd, (uint64_t)st.st_size, hash,
					NULL);
	pthread_mutex_unlock(&b->lock);
	if (rc)
		return rc;
	/* The temp file becomes this host's copy (or is adopted). */
	rc = dfs_blobs_put(b->cache, fd, tmpname, hash, stored_before);
	if (!rc && !*stored_before) {
		pthread_mutex_lock(&b->lock);
		b->cached += (uint64_t)st.st_size;
		evict(b);
		pthread_mutex_unlock(&b->lock);
	}
	return rc;
}

static int pg_adopt(struct dfs_blobs *base, const char *tmpname,
		    const uint8_t hash[32])
{
	return dfs_blobs_adopt(pgb(base)->cache, tmpname, hash);
}

/* Stream blob @hash from the database into the cache, checked. */
static int fill(struct pgblobs *b, const uint8_t hash[32])
{
	char tmpname[64];
	bool before = false;
	struct stat st;
	int fd, rc;

	pthread_mutex_lock(&b->lock);
	snprintf(tmpname, sizeof(tmpname), "cache.%d.%u", (int)getpid(),
		 b->fills++);
	fd = openat(b->tmpfd, tmpname, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		rc = -errno;
		pthread_mutex_unlock(&b->lock);
		return rc;
	}
	rc = dfs_pg_blob_fetch(b->pg, hash, fd);
	/* Reads only: start over once on a session found lost. */
	if (rc == -EIO && !dfs_pg_connected(b->pg) && ftruncate(fd, 0) == 0 &&
	    lseek(fd, 0, SEEK_SET) == 0)
		rc = dfs_pg_blob_fetch(b->pg, hash, fd);
	pthread_mutex_unlock(&b->lock);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc)
		rc = dfs_blobs_put(b->cache, fd, tmpname, hash, &before);
	if (!rc && !before && fstat(fd, &st) == 0) {
		pthread_mutex_lock(&b->lock);
		b->cached += (uint64_t)st.st_size;
		pthread_mutex_unlock(&b->lock);
	}
	/* Another reader filled it first, or this fill failed. */
	if (rc || before)
		unlinkat(b->tmpfd, tmpname, 0);
	close(fd);
	return rc;
}

static int pg_open(struct dfs_blobs *base, const uint8_t hash[32], int *fd)
{
	struct pgblobs *b = pgb(base);
	int rc;

	rc = dfs_blobs_open(b->cache, hash, fd);
	if (rc != -ENOENT)
		return rc;
	rc = fill(b, hash);
	if (!rc)
		rc = dfs_blobs_open(b->cache, hash, fd);
	if (!rc) {
		/* Open first: an eviction now cannot take it from us. */
		pthread_mutex_lock(&b->lock);
		evict(b);
		pthread_mutex_unlock(&b->lock);
	}
	return rc;
}

static bool pg_exists(struct dfs_blobs *base, const uint8_t hash[32])
{
	struct pgblobs *b = pgb(base);
	bool there = false;

	pthread_mutex_lock(&b->lock);
	if (dfs_pg_blob_stat(b->pg, hash, &there, NULL, NULL) != 0)
		there = false;
	pthread_mutex_unlock(&b->lock);
	return there;
}

static int pg_remove(struct dfs_blobs *base, const uint8_t hash[32])
{
	struct pgblobs *b = pgb(base);
	int rc;

	pthread_mutex_lock(&b->lock);
	rc = dfs_pg_blob_remove(b->pg, hash, NULL);
	pthread_mutex_unlock(&b->lock);
	if (rc && rc != -ENOENT)
		return rc;
	/* This host's copy too; other hosts' go by eviction or gc. */
	if (dfs_blobs_remove(b->cache, hash) == 0 || rc == 0)
		return 0;
	return rc;
}

static void pg_path(struct dfs_blobs *base, const uint8_t hash[32],
		    char out[DFS_BLOB_PATH_MAX])
{
	dfs_blobs_path(pgb(base)->cache, hash, out);
}

static int pg_orphans(struct dfs_blobs *base, int64_t before, bool dry_run,
		      unsigned *n, uint64_t *bytes)
{
	struct pgblobs *b = pgb(base);
	int64_t grace = ((int64_t)time(NULL) - before) * 1000;
	uint64_t blobs = 0, size = 0;
	int rc;

	pthread_mutex_lock(&b->lock);
	rc = dfs_pg_blob_unused(b->pg, grace, &blobs, &size);
	if (!rc && !dry_run)
		rc = dfs_pg_blob_gc(b->pg, grace, NULL, NULL);
	pthread_mutex_unlock(&b->lock);
	if (rc)
		return rc;
	*n += (unsigned)blobs;
	*bytes += size;
	/* Copies in this host's cache of what no record holds. */
	return dfs_blobs_orphans(b->cache, before, dry_run, &(unsigned){0},
				 &(uint64_t){0});
}

static const struct dfs_blobs_ops pg_blobs_ops = {
	.close = pg_close,
	.put = pg_put,
	.adopt = pg_adopt,
	.open = pg_open,
	.exists = pg_exists,
	.remove = pg_remove,
	.path = pg_path,
	.orphans = pg_orphans,
};

int dfs_blobs_open_pg(const char *conninfo, int dirfd, int tmpfd,
		      struct dfs_catalog *cat, uint64_t cache_size,
		      struct dfs_blobs **out)
{
	struct pgblobs *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return -ENOMEM;
	b->base.ops = &pg_blobs_ops;
	b->base.tmpfd = tmpfd;
	b->dirfd = dirfd;
	b->tmpfd = tmpfd;
	b->cache_size = cache_size ? cache_size : DFS_BLOBS_CACHE_DEFAULT;
	pthread_mutex_init(&b->lock, NULL);
	rc = dfs_pg_open(conninfo, &b->pg);
	if (!rc)
		rc = dfs_blobs_open_local(dirfd, tmpfd, cat, &b->cache);
	if (!rc)
		rc = walk_cache(dirfd, add_size, &b->cached);
	if (rc) {
		dfs_blobs_close(b->cache);
		dfs_pg_close(b->pg);
		pthread_mutex_destroy(&b->lock);
		free(b);
		return rc;
	}
	*out = &b->base;
	return 0;
}
