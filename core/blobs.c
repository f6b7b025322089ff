/* blobs — see blobs.h: calls through the backend's table. */
#include "blobs_backend.h"

#include <string.h>

#include "isotime.h"
#include "upload.h"
#include "uuid7.h"

void dfs_blobs_close(struct dfs_blobs *b)
{
	if (b)
		b->ops->close(b);
}

int dfs_blobs_put(struct dfs_blobs *b, int fd, const char *tmpname,
		  const uint8_t hash[32], bool *stored_before)
{
	return b->ops->put(b, fd, tmpname, hash, stored_before);
}

int dfs_blobs_adopt(struct dfs_blobs *b, const char *tmpname,
		    const uint8_t hash[32])
{
	return b->ops->adopt(b, tmpname, hash);
}

int dfs_blobs_open(struct dfs_blobs *b, const uint8_t hash[32], int *fd)
{
	return b->ops->open(b, hash, fd);
}

bool dfs_blobs_exists(struct dfs_blobs *b, const uint8_t hash[32])
{
	return b->ops->exists(b, hash);
}

int dfs_blobs_remove(struct dfs_blobs *b, const uint8_t hash[32])
{
	return b->ops->remove(b, hash);
}

struct dfs_verified *dfs_blobs_verified(struct dfs_blobs *b)
{
	return b->verified;
}

void dfs_blobs_path(struct dfs_blobs *b, const uint8_t hash[32],
		    char out[DFS_BLOB_PATH_MAX])
{
	b->ops->path(b, hash, out);
}

int dfs_blobs_orphans(struct dfs_blobs *b, int64_t before, bool dry_run,
		      unsigned *n, uint64_t *bytes)
{
	return b->ops->orphans(b, before, dry_run, n, bytes);
}

int dfs_blobs_put_bytes(struct dfs_blobs *b, const void *buf, size_t n,
			uint8_t hash[32])
{
	struct dfs_upload *up;
	uint8_t tmpid[16], h[32];
	bool before = false;
	char name[40];
	int rc;

	dfs_uuid7_next(NULL, (uint64_t)dfs_time_now_ms(), tmpid);
	dfs_uuid7_format(tmpid, name);
	rc = dfs_upload_new(b->tmpfd, name, &up);
	if (rc)
		return rc;
	rc = dfs_upload_write(up, DFS_SRC_MEM(buf, n), 0);
	if (!rc)
		rc = dfs_upload_finish(up, h);
	if (!rc)
		rc = dfs_blobs_put(b, dfs_upload_fd(up), name, h, &before);
	/* Stored already: the copy goes, unless a drop removed the blob. */
	if (!rc && before)
		rc = dfs_blobs_adopt(b, name, h);
	dfs_upload_free(up, rc != 0);
	if (!rc)
		memcpy(hash, h, 32);
	return rc;
}
