/*
 * deploy_rollback — a rollback: a new deployment of a stored payload,
 * checked again as if just received, and settled by deploy.c.
 */
#include "deploy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "check.h"
#include "deploy_impl.h"
#include "log.h"
#include "query.h"
#include "store_impl.h"
#include "uuid7.h"

/* @want, checked, or the newest success older than the current one. */
static int rollback_target(struct dfs_store *st, const char *project,
			   const uint8_t *want, struct dfs_record *t)
{
	struct dfs_query_before b = {.has = false};
	struct dfs_project p;
	struct dfs_query q;
	int rc;

	if (want) {
		rc = dfs_catalog_get(dfs_store_catalog(st), want, t);
		if (rc)
			return rc;
		if (strcmp(t->project, project) != 0)
			return -EXDEV;
		if (t->status != DFS_STATUS_SUCCESS)
			return -EINVAL;
		return t->payload_blob_present ? 0 : -ENODATA;
	}
	rc = dfs_catalog_project_get(dfs_store_catalog(st), project, &p);
	if (rc || !p.has_current)
		return rc ? rc : -ENOENT;
	memcpy(b.current, p.current, 16);
	dfs_query_init(&q);
	q.project = project;
	q.has_status = true;
	q.status = DFS_STATUS_SUCCESS;
	rc = dfs_catalog_query(dfs_store_catalog(st), &q, dfs_query_before_fn,
			       &b, NULL);
	if (rc < 0)
		return rc;
	if (!b.has)
		return -ENOENT;
	*t = b.found;
	return 0;
}

/* Check a stored blob as if it had just been received. */
static int check_blob(struct dfs_deploy *d, const struct dfs_record *t,
		      struct dfs_check_result *res)
{
	struct dfs_check *c;
	int fd, rc;

	rc = dfs_blobs_open(dfs_store_blobs(d->st), t->payload_hash, &fd);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	rc = dfs_check_start(fd, d->manifest_fd, d->conf.max_unpacked, &c);
	if (!rc)
		rc = dfs_check_finish(c, t->payload_size, res);
	close(fd);
	if (rc)
		return rc;
	if (memcmp(res->hash, t->payload_hash, 32) != 0) {
		snprintf(res->error.code, sizeof(res->error.code), "%s",
			 dfs_errcode_name(DFS_ERR_CORRUPT_ARCHIVE));
		snprintf(res->error.message, sizeof(res->error.message),
			 "the stored payload no longer matches its hash");
		res->error.phase = DFS_PHASE_VALIDATE;
	}
	dfs_deploy_record_check(&d->rec, res);
	return 0;
}

int dfs_deploy_rollback_target(struct dfs_store *st, const char *project,
			       struct dfs_record *t)
{
	return rollback_target(st, project, NULL, t);
}

int dfs_deploy_rollback(struct dfs_store *st,
			const struct dfs_deploy_conf *conf, const char *project,
			const uint8_t *target, const struct dfs_who *who,
			struct dfs_record *out)
{
	struct dfs_check_result res;
	struct dfs_record t;
	struct dfs_deploy *d;
	char idstr[37];
	int rc;

	rc = rollback_target(st, project, target, &t);
	if (rc)
		return rc;
	d = dfs_deploy_new_bare(st, conf);
	if (!d)
		return -ENOMEM;
	rc = dfs_catalog_create(dfs_store_catalog(st), project, who, NULL,
				&d->rec);
	if (rc) {
		free(d);
		return rc;
	}
	/* No byte is copied: the new deployment holds the same blob. */
	d->rec.has_rollback = true;
	memcpy(d->rec.rollback_of, t.id, 16);
	d->rec.has_hash = true;
	memcpy(d->rec.payload_hash, t.payload_hash, 32);
	d->rec.payload_size = t.payload_size;
	d->rec.source_mtime_ms = t.source_mtime_ms;
	d->rec.source_mtime_ns = t.source_mtime_ns;
	/* Hold the blob from the start: no drop can remove it meanwhile. */
	d->rec.payload_blob_present = true;
	d->rec.phase = DFS_PHASE_VALIDATE;
	dfs_log_open(st, DFS_LOG, d->rec.id, true, &d->log_fd);
	dfs_log_open(st, DFS_MANIFEST, d->rec.id, true, &d->manifest_fd);
	dfs_uuid7_format(t.id, idstr);
	dfs_log_printf(d->log_fd, "rollback of %s to %s by %s (%s)", project,
		       idstr, who->user, who->command);
	rc = dfs_catalog_update(dfs_store_catalog(st), &d->rec, NULL, NULL);
	if (!rc)
		rc = check_blob(d, &t, &res);
	if (rc) {
		d->rec.payload_blob_present = false;
		rc = dfs_deploy_fail_errno(d, rc);
	} else
		rc = dfs_deploy_conclude(d, &res, NULL);
	*out = d->rec;
	dfs_deploy_free(d);
	return rc;
}
