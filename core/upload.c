/* upload — see upload.h. */
#include "upload.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REHASH_BUF (1 << 20)
/* Written bytes are sent to the disk in steps of this (see kick). */
#define KICK_STEP (8u << 20)

struct dfs_upload {
	int dirfd;
	int fd;
	char *name;
	uint64_t size;
	uint64_t max;	 /* no byte at or past this offset */
	bool sequential; /* every write so far was at the end */
	uint64_t kicked; /* [0, kicked) is on its way to the disk */
};

int dfs_upload_new(int dirfd, const char *name, struct dfs_upload **out)
{
	struct dfs_upload *up;
	int rc;

	up = calloc(1, sizeof(*up));
	if (!up)
		return -ENOMEM;
	up->dirfd = dirfd;
	up->max = UINT64_MAX;
	up->sequential = true;
	up->name = strdup(name);
	if (!up->name) {
		rc = -ENOMEM;
		goto out_free;
	}
	up->fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			0600);
	if (up->fd < 0) {
		rc = -errno;
		goto out_free;
	}
	*out = up;
	return 0;

out_free:
	free(up->name);
	free(up);
	return rc;
}

void dfs_upload_free(struct dfs_upload *up, int remove)
{
	if (!up)
		return;
	close(up->fd);
	if (remove)
		unlinkat(up->dirfd, up->name, 0);
	free(up->name);
	free(up);
}

void dfs_upload_set_max(struct dfs_upload *up, uint64_t max)
{
	up->max = max;
}

/*
 * Start writing [kicked, size) to the disk without waiting, once
 * KICK_STEP (or, with @all, anything) is pending: the fsync before a
 * commit then finds little left, and the page cache no great heap of
 * dirty pages. Bytes rewritten after their kick are dirty again, and the
 * fsync writes them; a failed kick leaves it all to the fsync.
 */
static void kick(struct dfs_upload *up, bool all)
{
	uint64_t n = up->size > up->kicked ? up->size - up->kicked : 0;

	if (n == 0 || (!all && n < KICK_STEP))
		return;
	if (sync_file_range(up->fd, (off_t)up->kicked, (off_t)n,
			    SYNC_FILE_RANGE_WRITE) == 0)
		up->kicked = up->size;
}

void dfs_upload_kick(struct dfs_upload *up)
{
	kick(up, true);
}

int dfs_upload_seed(struct dfs_upload *up, int srcfd)
{
	struct stat sb;
	off_t in = 0, outoff = 0;
	uint64_t left;

	if (fstat(srcfd, &sb) < 0)
		return -errno;
	if ((uint64_t)sb.st_size > up->max)
		return -EFBIG;
	if (ftruncate(up->fd, 0) < 0)
		return -errno;
	for (left = (uint64_t)sb.st_size; left > 0;) {
		ssize_t n =
			copy_file_range(srcfd, &in, up->fd, &outoff, left, 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		left -= (uint64_t)n;
	}
	up->size = (uint64_t)sb.st_size;
	up->sequential = up->size == 0;
	up->kicked = 0;
	kick(up, true);
	return 0;
}

static int write_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Move @n bytes from the pipe @src into @fd at @off, in the kernel. */
static int splice_all(int src, int fd, size_t n, uint64_t off)
{
	loff_t pos = (loff_t)off;

	while (n > 0) {
		ssize_t w = splice(src, NULL, fd, &pos, n, SPLICE_F_MOVE);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO; /* the pipe held less than promised */
		n -= (size_t)w;
	}
	return 0;
}

int dfs_upload_write(struct dfs_upload *up, const struct dfs_src *src,
		     uint64_t off)
{
	size_t n = src->n;
	int rc;

	if (n == 0)
		return 0;
	if (off + n < off || off + n > up->max)
		return -EFBIG;
	rc = src->buf ? write_all(up->fd, src->buf, n, off)
		      : splice_all(src->fd, up->fd, n, off);
	if (rc)
		return rc;
	if (off != up->size)
		up->sequential = false;
	if (off + n > up->size)
		up->size = off + n;
	kick(up, false);
	return 0;
}

int dfs_upload_truncate(struct dfs_upload *up, uint64_t size)
{
	if (size > up->max)
		return -EFBIG;
	if (size == up->size)
		return 0;
	if (ftruncate(up->fd, (off_t)size) < 0)
		return -errno;
	/* Growing adds zeros the hash has not seen; shrinking cuts it. */
	up->sequential = false;
	up->size = size;
	if (up->kicked > size)
		up->kicked = size;
	return 0;
}

int dfs_upload_read(struct dfs_upload *up, void *buf, size_t n, uint64_t off,
		    size_t *got)
{
	ssize_t r = pread(up->fd, buf, n, (off_t)off);

	if (r < 0)
		return -errno;
	*got = (size_t)r;
	return 0;
}

bool dfs_upload_sequential(const struct dfs_upload *up)
{
	return up->sequential;
}

uint64_t dfs_upload_size(const struct dfs_upload *up)
{
	return up->size;
}

int dfs_upload_fd(const struct dfs_upload *up)
{
	return up->fd;
}

const char *dfs_upload_name(const struct dfs_upload *up)
{
	return up->name;
}

int dfs_sha256_fd(int fd, uint8_t hash[32], uint64_t *size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t total = 0;
	char *buf = malloc(REHASH_BUF);
	int rc = 0;

	if (!md || !buf || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, REHASH_BUF, (off_t)total);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			rc = -ENOMEM;
			goto out;
		}
		total += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, hash, NULL) != 1)
		rc = -ENOMEM;
	else
		*size = total;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

int dfs_upload_finish(struct dfs_upload *up, uint8_t hash[32])
{
	uint64_t size;
	int rc;

	rc = dfs_sha256_fd(up->fd, hash, &size);
	if (!rc && size != up->size)
		rc = -EIO;
	return rc;
}
