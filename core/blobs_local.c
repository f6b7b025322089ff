/*
 * blobs_local — the local blob store (see blobs.h): STORE/blobs/<aa>/<hex>,
 * and STORE/blobs.lock, under which a blob file is removed or adopted.
 */
#include "blobs_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <stdlib.h>

#include "catalog.h"
#include "dirwalk.h"
#include "record.h"
#include "verified.h"

struct local {
	struct dfs_blobs base;
	int dirfd;   /* the store: blobs.lock */
	int blobsfd; /* STORE/blobs */
	struct dfs_catalog *cat;
};

static struct local *local_of(struct dfs_blobs *b)
{
	return (struct local *)b;
}

static void local_path(struct dfs_blobs *b, const uint8_t hash[32],
		       char out[DFS_BLOB_PATH_MAX])
{
	char hex[65];

	(void)b;
	dfs_hash_hex(hash, hex);
	snprintf(out, DFS_BLOB_PATH_MAX, "blobs/%.2s/%s", hex, hex);
}

/* The path below blobs/ ("aa/<hex>") and the fan-out directory ("aa"). */
static void blob_names(const uint8_t hash[32], char dir[3], char path[68])
{
	char hex[65];

	dfs_hash_hex(hash, hex);
	snprintf(dir, 3, "%.2s", hex);
	snprintf(path, 68, "%.2s/%s", hex, hex);
}

static bool local_exists(struct dfs_blobs *b, const uint8_t hash[32])
{
	struct local *st = local_of(b);
	char dir[3], path[68];

	blob_names(hash, dir, path);
	return faccessat(st->blobsfd, path, F_OK, 0) == 0;
}

static int local_open(struct dfs_blobs *b, const uint8_t hash[32], int *fd)
{
	struct local *st = local_of(b);
	char dir[3], path[68];
	int f;

	blob_names(hash, dir, path);
	f = openat(st->blobsfd, path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	*fd = f;
	return 0;
}

static int fsync_dirat(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * Blob files are removed only under this lock (an flock on
 * STORE/blobs.lock, so it holds between processes and between threads),
 * and only while no record refers to them; a deploy that found its blob
 * stored makes sure of it under the same lock once its record holds it.
 */
static int blob_lock(struct local *st)
{
	int fd = openat(st->dirfd, "blobs.lock", O_RDWR | O_CREAT | O_CLOEXEC,
			0600);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int rc = -errno;

			close(fd);
			return rc;
		}
	return fd;
}

static void blob_unlock(int fd)
{
	close(fd); /* releases the flock */
}

static int put_file(struct local *st, int fd, const char *tmpname,
		    const char *dir, const char *path)
{
	bool new_dir = false;
	int rc;

	if (fsync(fd) < 0)
		return -errno;
	if (mkdirat(st->blobsfd, dir, 0700) == 0)
		new_dir = true;
	else if (errno != EEXIST)
		return -errno;
	/* Blobs are never written again: read-only for everybody. */
	if (fchmod(fd, 0400) < 0)
		return -errno;
	if (renameat(st->base.tmpfd, tmpname, st->blobsfd, path) < 0)
		return -errno;
	rc = fsync_dirat(st->blobsfd, dir);
	if (!rc && new_dir && fsync(st->blobsfd) < 0)
		rc = -errno;
	return rc;
}

static int local_put(struct dfs_blobs *b, int fd, const char *tmpname,
		     const uint8_t hash[32], bool *stored_before)
{
	struct local *st = local_of(b);
	char dir[3], path[68];
	int rc;

	blob_names(hash, dir, path);
	if (faccessat(st->blobsfd, path, F_OK, 0) == 0) {
		*stored_before = true; /* see dfs_blob_adopt */
		return 0;
	}
	rc = put_file(st, fd, tmpname, dir, path);
	if (!rc)
		*stored_before = false;
	return rc;
}

static int local_adopt(struct dfs_blobs *b, const char *tmpname,
		       const uint8_t hash[32])
{
	struct local *st = local_of(b);
	char dir[3], path[68];
	int lock, fd, rc = 0;

	blob_names(hash, dir, path);
	lock = blob_lock(st);
	if (lock < 0)
		return lock;
	if (faccessat(st->blobsfd, path, F_OK, 0) == 0) {
		if (unlinkat(st->base.tmpfd, tmpname, 0) < 0)
			rc = -errno;
	} else {
		/* Removed meanwhile: our copy becomes the blob. */
		fd = openat(st->base.tmpfd, tmpname, O_RDONLY | O_CLOEXEC);
		rc = fd < 0 ? -errno : put_file(st, fd, tmpname, dir, path);
		if (fd >= 0)
			close(fd);
	}
	blob_unlock(lock);
	return rc;
}

static int local_remove(struct dfs_blobs *b, const uint8_t hash[32])
{
	struct local *st = local_of(b);
	char dir[3], path[68];
	uint64_t refs;
	int lock, rc;

	blob_names(hash, dir, path);
	lock = blob_lock(st);
	if (lock < 0)
		return lock;
	rc = dfs_catalog_blob_refs(st->cat, hash, &refs);
	if (!rc && refs > 0)
		rc = -EBUSY; /* a deploy took it again meanwhile */
	if (!rc && unlinkat(st->blobsfd, path, 0) < 0)
		rc = -errno;
	if (!rc)
		dfs_verified_forget(b->verified, hash);
	if (!rc)
		rc = fsync_dirat(st->blobsfd, dir);
	blob_unlock(lock);
	return rc;
}

struct orphans {
	struct local *st;
	int64_t before;
	bool dry_run;
	unsigned *n;
	uint64_t *bytes;
};

static int blob_file(void *arg, int dfd, const char *f, const struct stat *sb)
{
	struct orphans *o = arg;
	uint8_t hash[32];
	uint64_t refs;
	int rc;

	(void)dfd;
	if (!S_ISREG(sb->st_mode) || dfs_hash_parse(f, hash) != 0)
		return 0;
	rc = dfs_catalog_blob_refs(o->st->cat, hash, &refs);
	if (rc || refs > 0 || sb->st_ctime >= o->before)
		return rc;
	/* Under the blob lock, checking the references again. */
	rc = o->dry_run ? 0 : local_remove(&o->st->base, hash);
	if (rc == -EBUSY || rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	(*o->n)++;
	*o->bytes += (uint64_t)sb->st_size;
	return 0;
}

static int fan_dir(void *arg, int dfd, const char *f, const struct stat *sb)
{
	return S_ISDIR(sb->st_mode) ? dfs_dirwalk_each(dfd, f, blob_file, arg)
				    : 0;
}

static int local_orphans(struct dfs_blobs *b, int64_t before, bool dry_run,
			 unsigned *n, uint64_t *bytes)
{
	struct orphans o = {local_of(b), before, dry_run, n, bytes};

	return dfs_dirwalk_each(o.st->dirfd, "blobs", fan_dir, &o);
}

static void local_close(struct dfs_blobs *b)
{
	struct local *st = local_of(b);

	if (st->blobsfd >= 0)
		close(st->blobsfd);
	dfs_verified_free(b->verified);
	free(st);
}

static const struct dfs_blobs_ops local_ops = {
	.close = local_close,
	.put = local_put,
	.adopt = local_adopt,
	.open = local_open,
	.exists = local_exists,
	.remove = local_remove,
	.path = local_path,
	.orphans = local_orphans,
};

int dfs_blobs_open_local(int dirfd, int tmpfd, struct dfs_catalog *cat,
			 struct dfs_blobs **out)
{
	struct local *st = calloc(1, sizeof(*st));
	int rc;

	if (!st)
		return -ENOMEM;
	st->base.ops = &local_ops;
	st->base.tmpfd = tmpfd;
	st->dirfd = dirfd;
	st->cat = cat;
	if (mkdirat(dirfd, "blobs", 0700) < 0 && errno != EEXIST)
		goto out_errno;
	st->blobsfd =
		openat(dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->blobsfd < 0)
		goto out_errno;
	rc = dfs_verified_new(&st->base.verified);
	if (rc)
		goto out_close_blobs;
	*out = &st->base;
	return 0;

out_close_blobs:
	close(st->blobsfd);
	free(st);
	return rc;
out_errno:
	rc = -errno;
	free(st);
	return rc;
}
