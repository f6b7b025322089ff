/* deploy — see deploy.h. */
#include "deploy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "check.h"
#include "isotime.h"
#include "store_impl.h"
#include "upload.h"
#include "uuid7.h"

/* How often bytes_received is written back while a payload streams. */
#define PROGRESS_MS 1000

struct dfs_deploy {
	struct dfs_store *st;
	struct dfs_record rec;
	struct dfs_upload *up; /* NULL once settled */
	bool settled;
	int result; /* once settled: 0 or the -errno commit returned */
	int64_t saved_ms;
	uint64_t saved_bytes; /* bytes_received as last stored */
};

const char *dfs_deploy_errcode(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOSPC:
	case EDQUOT:
		return "no_space";
	case EIO:
		return "io_error";
	case EFBIG:
		return "too_large";
	case ENOMEM:
		return "no_memory";
	case EBADMSG:
		return "not_an_archive";
	default:
		return "write_error";
	}
}

int dfs_deploy_begin(struct dfs_store *st, const char *project,
		     const struct dfs_who *who,
		     const struct dfs_project_attr *attr,
		     struct dfs_deploy **out)
{
	struct dfs_deploy *d;
	uint8_t tmpid[16];
	char tmpname[40];
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->st = st;
	/* A fresh random name: unique among concurrent uploads. */
	dfs_uuid7_next(NULL, (uint64_t)dfs_time_now_ms(), tmpid);
	dfs_uuid7_format(tmpid, tmpname);
	rc = dfs_upload_new(st->tmpfd, tmpname, &d->up);
	if (rc)
		goto out_free;
	rc = dfs_catalog_create(st, project, who, attr, &d->rec);
	if (rc)
		goto out_upload;
	d->saved_ms = dfs_time_now_ms();
	*out = d;
	return 0;

out_upload:
	dfs_upload_free(d->up, true);
out_free:
	free(d);
	return rc;
}

/*
 * Settle as failed with @code: free the temp file first (its space may be
 * what the record needs), then store the record. Returns @err.
 */
static int settle_failed(struct dfs_deploy *d, int err, const char *code,
			 const char *message)
{
	if (d->up) {
		dfs_upload_free(d->up, true);
		d->up = NULL;
	}
	d->rec.status = DFS_STATUS_FAILED;
	dfs_record_set_error(&d->rec, code, d->rec.phase, "%s", message);
	d->rec.phase = DFS_PHASE_DONE;
	d->rec.completed_ms = dfs_time_now_ms();
	/*
	 * If even this cannot be stored (map full, disk gone) the record stays
	 * pending and recovery fails it as interrupted at the next start.
	 */
	dfs_catalog_update(d->st, &d->rec, NULL);
	d->settled = true;
	d->result = err;
	return err;
}

static int fail_errno(struct dfs_deploy *d, int err)
{
	return settle_failed(d, err, dfs_deploy_errcode(err), strerror(-err));
}

void dfs_deploy_free(struct dfs_deploy *d)
{
	if (!d)
		return;
	if (!d->settled)
		settle_failed(d, -ECANCELED, "aborted",
			      "the writer went away without completing the "
			      "deployment");
	free(d);
}

const struct dfs_record *dfs_deploy_record(const struct dfs_deploy *d)
{
	return &d->rec;
}

int dfs_deploy_settled(const struct dfs_deploy *d)
{
	return d->settled;
}

static int settled_error(const struct dfs_deploy *d)
{
	return d->result ? d->result : -EBADF;
}

int dfs_deploy_seed(struct dfs_deploy *d, const uint8_t hash[32])
{
	int fd, rc;

	if (d->settled)
		return settled_error(d);
	rc = dfs_blob_open(d->st, hash, &fd);
	if (rc)
		return rc;
	rc = dfs_upload_seed(d->up, fd);
	close(fd);
	return rc ? fail_errno(d, rc) : 0;
}

int dfs_deploy_write(struct dfs_deploy *d, const void *buf, size_t n,
		     uint64_t off)
{
	int64_t now;
	int rc;

	if (d->settled)
		return settled_error(d);
	rc = dfs_upload_write(d->up, buf, n, off);
	if (rc)
		return fail_errno(d, rc);
	now = dfs_time_now_ms();
	/* The first bytes show at once; then about once a second. */
	d->rec.bytes_received += n;
	if (d->rec.bytes_received == n || now - d->saved_ms >= PROGRESS_MS)
		dfs_deploy_save_progress(d);
	return 0;
}

void dfs_deploy_save_progress(struct dfs_deploy *d)
{
	if (d->settled || d->rec.bytes_received == d->saved_bytes)
		return;
	/* Best effort: the commit stores the final count anyway. */
	if (dfs_catalog_update(d->st, &d->rec, NULL) == 0)
		d->saved_bytes = d->rec.bytes_received;
	d->saved_ms = dfs_time_now_ms();
}

int dfs_deploy_truncate(struct dfs_deploy *d, uint64_t size)
{
	int rc;

	if (d->settled)
		return settled_error(d);
	rc = dfs_upload_truncate(d->up, size);
	return rc ? fail_errno(d, rc) : 0;
}

int dfs_deploy_read(struct dfs_deploy *d, void *buf, size_t n, uint64_t off,
		    size_t *got)
{
	if (!d->up)
		return -EBADF;
	return dfs_upload_read(d->up, buf, n, off, got);
}

uint64_t dfs_deploy_size(const struct dfs_deploy *d)
{
	return d->up ? dfs_upload_size(d->up) : d->rec.payload_size;
}

/* Hash and store the payload: the blob exists when this returns 0. */
static int store_payload(struct dfs_deploy *d)
{
	struct dfs_upload *up = d->up;
	int rc;

	rc = dfs_upload_finish(up, d->rec.payload_hash);
	if (rc)
		return rc;
	rc = dfs_blob_put(d->st, dfs_upload_fd(up), dfs_upload_name(up),
			  d->rec.payload_hash);
	if (rc)
		return rc;
	d->rec.has_hash = true;
	d->rec.payload_size = dfs_upload_size(up);
	d->rec.payload_blob_present = true;
	dfs_upload_free(up, false);
	d->up = NULL;
	return 0;
}

int dfs_deploy_commit(struct dfs_deploy *d,
		      const struct timespec *source_mtime,
		      const struct dfs_project_attr *attr)
{
	struct dfs_record_error err;
	int verdict, rc;

	if (d->settled)
		return d->result;
	d->rec.phase = DFS_PHASE_VALIDATE;
	verdict = dfs_check_fd(dfs_upload_fd(d->up), dfs_upload_size(d->up),
			       d->rec.payload_format, &err);
	if (verdict && verdict != -EBADMSG)
		return fail_errno(d, verdict);
	rc = store_payload(d);
	if (rc)
		return fail_errno(d, rc);
	d->rec.completed_ms = dfs_time_now_ms();
	if (source_mtime) {
		d->rec.source_mtime_ms = dfs_time_from_timespec(source_mtime);
		d->rec.source_mtime_ns = (int32_t)(source_mtime->tv_nsec % 1000000);
	} else {
		d->rec.source_mtime_ms = d->rec.completed_ms;
		d->rec.source_mtime_ns = 0;
	}
	d->rec.phase = DFS_PHASE_DONE;
	if (verdict) {
		d->rec.status = DFS_STATUS_FAILED;
		d->rec.error = err;
	} else {
		d->rec.status = DFS_STATUS_SUCCESS;
	}
	rc = dfs_catalog_update(d->st, &d->rec, verdict ? NULL : attr);
	if (rc) {
		/* The blob is an orphan now; gc reclaims it. */
		d->rec.payload_blob_present = false;
		d->rec.has_hash = false;
		return fail_errno(d, rc);
	}
	d->settled = true;
	d->result = verdict;
	return verdict;
}
