/* blob — see blob.h. */
#include "blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "record.h"
#include "upload.h"
#include "uuid7.h"
#include "isotime.h"
#include "store_impl.h"

void dfs_blob_relpath(const uint8_t hash[32], char out[DFS_BLOB_PATH_MAX])
{
	char hex[65];

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

bool dfs_blob_exists(struct dfs_store *st, const uint8_t hash[32])
{
	char dir[3], path[68];

	blob_names(hash, dir, path);
	return faccessat(st->blobsfd, path, F_OK, 0) == 0;
}

int dfs_blob_open(struct dfs_store *st, const uint8_t hash[32], int *fd)
{
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
static int blob_lock(struct dfs_store *st)
{
	int fd =
	    openat(st->dirfd, "blobs.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

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

static int put_file(struct dfs_store *st, int fd, const char *tmpname,
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
	if (renameat(st->tmpfd, tmpname, st->blobsfd, path) < 0)
		return -errno;
	rc = fsync_dirat(st->blobsfd, dir);
	if (!rc && new_dir && fsync(st->blobsfd) < 0)
		rc = -errno;
	return rc;
}

int dfs_blob_put(struct dfs_store *st, int fd, const char *tmpname,
		 const uint8_t hash[32], bool *stored_before)
{
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

int dfs_blob_adopt(struct dfs_store *st, const char *tmpname,
		   const uint8_t hash[32])
{
	char dir[3], path[68];
	int lock, fd, rc = 0;

	blob_names(hash, dir, path);
	lock = blob_lock(st);
	if (lock < 0)
		return lock;
	if (faccessat(st->blobsfd, path, F_OK, 0) == 0) {
		if (unlinkat(st->tmpfd, tmpname, 0) < 0)
			rc = -errno;
	} else {
		/* Removed meanwhile: our copy becomes the blob. */
		fd = openat(st->tmpfd, tmpname, O_RDONLY | O_CLOEXEC);
		rc = fd < 0 ? -errno : put_file(st, fd, tmpname, dir, path);
		if (fd >= 0)
			close(fd);
	}
	blob_unlock(lock);
	return rc;
}

int dfs_blob_remove(struct dfs_store *st, const uint8_t hash[32])
{
	char dir[3], path[68];
	uint64_t refs;
	int lock, rc;

	blob_names(hash, dir, path);
	lock = blob_lock(st);
	if (lock < 0)
		return lock;
	rc = dfs_catalog_blob_refs(dfs_store_catalog(st), hash, &refs);
	if (!rc && refs > 0)
		rc = -EBUSY; /* a deploy took it again meanwhile */
	if (!rc && unlinkat(st->blobsfd, path, 0) < 0)
		rc = -errno;
	if (!rc)
		rc = fsync_dirat(st->blobsfd, dir);
	blob_unlock(lock);
	return rc;
}

int dfs_blob_put_bytes(struct dfs_store *st, const void *buf, size_t n,
		       uint8_t hash[32])
{
	struct dfs_upload *up;
	uint8_t tmpid[16], h[32];
	bool before = false;
	char name[40];
	int rc;

	dfs_uuid7_next(NULL, (uint64_t)dfs_time_now_ms(), tmpid);
	dfs_uuid7_format(tmpid, name);
	rc = dfs_upload_new(st->tmpfd, name, &up);
	if (rc)
		return rc;
	rc = dfs_upload_write(up, buf, n, 0);
	if (!rc)
		rc = dfs_upload_finish(up, h);
	if (!rc)
		rc = dfs_blob_put(st, dfs_upload_fd(up), name, h, &before);
	/* Stored already: the copy goes, unless a drop removed the blob. */
	if (!rc && before)
		rc = dfs_blob_adopt(st, name, h);
	dfs_upload_free(up, rc != 0);
	if (!rc)
		memcpy(hash, h, 32);
	return rc;
}
