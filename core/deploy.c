/* deploy — see deploy.h. */
#include "deploy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobs.h"
#include "check.h"
#include "deploy_impl.h"
#include "hook.h"
#include "isotime.h"
#include "log.h"
#include "query.h"
#include "report.h"
#include "retention.h"
#include "store_impl.h"
#include "upload.h"
#include "uuid7.h"

/* How often bytes_received is written back while a payload streams. */
#define PROGRESS_MS 1000

enum dfs_errcode dfs_deploy_errcode(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOSPC:
	case EDQUOT:
		return DFS_ERR_NO_SPACE;
	case EIO:
		return DFS_ERR_IO_ERROR;
	case EFBIG:
		return DFS_ERR_TOO_LARGE;
	case ENOMEM:
		return DFS_ERR_NO_MEMORY;
	case EBADMSG:
		return DFS_ERR_NOT_AN_ARCHIVE;
	case ECANCELED:
		return DFS_ERR_HOOK_FAILED;
	case ETIMEDOUT:
		return DFS_ERR_HOOK_TIMEOUT;
	default:
		return DFS_ERR_WRITE_ERROR;
	}
}

uint64_t dfs_deploy_max_payload(const struct dfs_deploy_conf *conf)
{
	return conf && conf->max_payload ? conf->max_payload
					 : DFS_DEPLOY_PAYLOAD_DEFAULT;
}

/* A deployment under @conf (may be NULL), owning nothing yet. */
struct dfs_deploy *dfs_deploy_new_bare(struct dfs_store *st,
				       const struct dfs_deploy_conf *conf)
{
	struct dfs_deploy *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->st = st;
	if (conf)
		d->conf = *conf;
	d->conf.max_payload = dfs_deploy_max_payload(conf);
	d->log_fd = d->manifest_fd = -1;
	return d;
}

/* Log and manifest are best effort: a deploy does not need them. */
static void open_side_files(struct dfs_deploy *d)
{
	dfs_log_open(d->st, DFS_LOG, d->rec.id, true, &d->log_fd);
	if (d->manifest_fd < 0)
		dfs_log_open(d->st, DFS_MANIFEST, d->rec.id, true,
			     &d->manifest_fd);
	dfs_log_printf(d->log_fd, "deployment of %s started by %s (%s)",
		       d->rec.project, d->rec.who.user, d->rec.who.command);
}

/* Not named yet: the manifest grows in tmp/ until the record exists. */
static void open_manifest_tmp(struct dfs_deploy *d, const char *tmpname)
{
	snprintf(d->mtmp, sizeof(d->mtmp), "%s.manifest", tmpname);
	d->manifest_fd = openat(
		d->st->tmpfd, d->mtmp,
		O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (d->manifest_fd < 0)
		d->mtmp[0] = '\0';
}

static void remove_manifest_tmp(struct dfs_deploy *d)
{
	if (!d->mtmp[0])
		return;
	unlinkat(d->st->tmpfd, d->mtmp, 0);
	d->mtmp[0] = '\0';
}

int dfs_deploy_begin(struct dfs_store *st, const struct dfs_deploy_conf *conf,
		     const char *project, const struct dfs_who *who,
		     const struct dfs_project_attr *attr,
		     struct dfs_deploy **out)
{
	struct dfs_deploy *d;
	uint8_t tmpid[16];
	char tmpname[40];
	int rc;

	d = dfs_deploy_new_bare(st, conf);
	if (!d)
		return -ENOMEM;
	d->begin_ms = dfs_time_now_ms();
	/* A fresh random name: unique among concurrent uploads. */
	dfs_uuid7_next(NULL, (uint64_t)d->begin_ms, tmpid);
	dfs_uuid7_format(tmpid, tmpname);
	rc = dfs_upload_new(st->tmpfd, tmpname, &d->up);
	if (rc)
		goto out_free;
	dfs_upload_set_max(d->up, d->conf.max_payload);
	if (project) {
		rc = dfs_catalog_create(dfs_store_catalog(st), project, who,
					attr, &d->rec);
		if (rc)
			goto out_upload;
		d->named = true;
		open_side_files(d);
	} else {
		dfs_record_init(&d->rec);
		d->rec.who = *who;
		d->rec.started_ms = d->begin_ms;
		open_manifest_tmp(d, tmpname);
	}
	d->saved_ms = dfs_time_now_ms();
	if (dfs_check_start(dfs_upload_fd(d->up), d->manifest_fd,
			    d->conf.max_unpacked, &d->check))
		d->check = NULL; /* checked at commit instead */
	*out = d;
	return 0;

out_upload:
	dfs_upload_free(d->up, true);
out_free:
	free(d);
	return rc;
}

int dfs_deploy_name(struct dfs_deploy *d, const char *project,
		    const struct dfs_project_attr *attr)
{
	struct dfs_record rec;
	char path[64], idstr[37];
	int rc;

	if (d->named)
		return -EINVAL;
	if (d->settled)
		return d->result ? d->result : -EBADF;
	rc = dfs_catalog_create(dfs_store_catalog(d->st), project, &d->rec.who,
				attr, &rec);
	if (rc)
		return rc;
	rec.started_ms = d->begin_ms;
	rec.bytes_received = d->rec.bytes_received;
	d->rec = rec;
	d->named = true;
	/* The manifest the check is writing moves to where records keep it. */
	dfs_uuid7_format(rec.id, idstr);
	snprintf(path, sizeof(path), "manifests/%s", idstr);
	if (d->mtmp[0] &&
	    (mkdirat(d->st->dirfd, "manifests", 0700) == 0 || errno == EEXIST))
		renameat(d->st->tmpfd, d->mtmp, d->st->dirfd, path);
	remove_manifest_tmp(d);
	open_side_files(d);
	/* Shown at once with its first byte's time and what it received. */
	d->saved_bytes = d->rec.bytes_received;
	rc = dfs_catalog_update(dfs_store_catalog(d->st), &d->rec, NULL, NULL);
	return rc ? dfs_deploy_fail_errno(d, rc) : 0;
}

bool dfs_deploy_named(const struct dfs_deploy *d)
{
	return d->named;
}

/* The writes left the order the check trails: it starts over at commit. */
static void check_restart(struct dfs_deploy *d)
{
	if (!d->check)
		return;
	dfs_check_cancel(d->check);
	d->check = NULL;
	if (d->manifest_fd >= 0 && ftruncate(d->manifest_fd, 0) < 0) {
		close(d->manifest_fd);
		d->manifest_fd = -1;
	}
}

static void close_files(struct dfs_deploy *d)
{
	dfs_check_cancel(d->check);
	d->check = NULL;
	if (d->manifest_fd >= 0)
		close(d->manifest_fd);
	if (d->log_fd >= 0)
		close(d->log_fd);
	d->manifest_fd = d->log_fd = -1;
}

/*
 * Settle as failed with @code: free the temp file first (its space may be
 * what the record needs), then store the record. Returns @err.
 */
static int settle_failed(struct dfs_deploy *d, int err, enum dfs_errcode code,
			 const char *message)
{
	if (d->adopt[0]) {
		unlinkat(d->st->tmpfd, d->adopt, 0);
		d->adopt[0] = '\0';
		d->rec.payload_blob_present = false;
	}
	dfs_check_cancel(d->check);
	d->check = NULL;
	if (d->up) {
		dfs_upload_free(d->up, true);
		d->up = NULL;
	}
	dfs_record_fail(&d->rec, code, "%s", message);
	/*
	 * If even this cannot be stored (map full, disk gone) the record stays
	 * pending and recovery fails it as interrupted at the next start. A
	 * deployment never named has no record to store.
	 */
	if (d->named)
		dfs_catalog_update(dfs_store_catalog(d->st), &d->rec, NULL,
				   NULL);
	remove_manifest_tmp(d);
	dfs_log_printf(d->log_fd, "failed: %s: %s", dfs_errcode_name(code),
		       message);
	if (d->named) /* never named: no record, nothing to report */
		dfs_report_settled(d->conf.report, d->conf.report_arg, &d->rec);
	close_files(d);
	d->settled = true;
	d->result = err;
	return err;
}

int dfs_deploy_fail_errno(struct dfs_deploy *d, int err)
{
	char msg[128];

	if (err != -EFBIG)
		return settle_failed(d, err, dfs_deploy_errcode(err),
				     strerror(-err));
	snprintf(msg, sizeof(msg),
		 "the payload would be larger than max_payload (%llu bytes)",
		 (unsigned long long)d->conf.max_payload);
	return settle_failed(d, err, dfs_deploy_errcode(err), msg);
}

void dfs_deploy_abort(struct dfs_deploy *d)
{
	if (!d)
		return;
	if (!d->settled)
		settle_failed(d, -ECANCELED, DFS_ERR_ABORTED,
			      "the writer went away without completing the "
			      "deployment");
	dfs_deploy_free(d);
}

void dfs_deploy_free(struct dfs_deploy *d)
{
	if (!d)
		return;
	if (!d->settled) {
		/* Its record stays as stored: pending, for recovery to fail. */
		if (d->adopt[0])
			unlinkat(d->st->tmpfd, d->adopt, 0);
		if (d->up)
			dfs_upload_free(d->up, true);
		remove_manifest_tmp(d);
	}
	close_files(d);
	free(d);
}

const struct dfs_record *dfs_deploy_record(const struct dfs_deploy *d)
{
	return &d->rec;
}

bool dfs_deploy_settled(const struct dfs_deploy *d)
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
	rc = dfs_blobs_open(dfs_store_blobs(d->st), hash, &fd);
	if (rc)
		return rc;
	check_restart(d);
	rc = dfs_upload_seed(d->up, fd);
	close(fd);
	return rc ? dfs_deploy_fail_errno(d, rc) : 0;
}

int dfs_deploy_write(struct dfs_deploy *d, const struct dfs_src *src,
		     uint64_t off)
{
	size_t n = src->n;
	int64_t now;
	int rc;

	if (d->settled)
		return settled_error(d);
	rc = dfs_upload_write(d->up, src, off);
	if (rc)
		return dfs_deploy_fail_errno(d, rc);
	if (d->check && dfs_upload_sequential(d->up))
		dfs_check_advance(d->check, dfs_upload_size(d->up));
	else
		check_restart(d);
	now = dfs_time_now_ms();
	/* The first bytes show at once; then about once a second. */
	d->rec.bytes_received += n;
	if (d->rec.bytes_received == n || now - d->saved_ms >= PROGRESS_MS)
		dfs_deploy_save_progress(d);
	return 0;
}

void dfs_deploy_save_progress(struct dfs_deploy *d)
{
	if (d->settled || !d->named || d->rec.bytes_received == d->saved_bytes)
		return;
	/* Best effort: the commit stores the final count anyway. */
	if (dfs_catalog_update(dfs_store_catalog(d->st), &d->rec, NULL, NULL) ==
	    0)
		d->saved_bytes = d->rec.bytes_received;
	d->saved_ms = dfs_time_now_ms();
}

int dfs_deploy_truncate(struct dfs_deploy *d, uint64_t size)
{
	int rc;

	if (d->settled)
		return settled_error(d);
	if (size > d->conf.max_payload)
		return -EFBIG; /* refused: the deployment goes on as it was */
	if (size != dfs_upload_size(d->up))
		check_restart(d);
	rc = dfs_upload_truncate(d->up, size);
	return rc ? dfs_deploy_fail_errno(d, rc) : 0;
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

/* What the check found, into the record; the payload is stored. */
void dfs_deploy_record_check(struct dfs_record *r,
			     const struct dfs_check_result *res)
{
	r->payload_blob_present = true;
	snprintf(r->payload_format, sizeof(r->payload_format), "%s",
		 res->format);
	r->checked = true;
	r->entries = res->entries;
	r->unpacked_size = res->unpacked_size;
	snprintf(r->package_identifier, sizeof(r->package_identifier), "%s",
		 res->package);
}

/* Finish the check (or run it now over the whole file) and store the blob. */
static int check_and_store(struct dfs_deploy *d, struct dfs_check_result *res)
{
	struct dfs_upload *up = d->up;
	uint64_t size = dfs_upload_size(up);
	bool before;
	int rc;

	/* The disk writes the rest while the check reads it. */
	dfs_upload_kick(up);
	if (!d->check) {
		rc = dfs_check_start(dfs_upload_fd(up), d->manifest_fd,
				     d->conf.max_unpacked, &d->check);
		if (rc)
			return rc;
	}
	rc = dfs_check_finish(d->check, size, res);
	d->check = NULL;
	if (rc)
		return rc;
	rc = dfs_blobs_put(dfs_store_blobs(d->st), dfs_upload_fd(up),
			   dfs_upload_name(up), res->hash, &before);
	if (rc)
		return rc;
	if (before) /* stored already: settled once the record holds it */
		snprintf(d->adopt, sizeof(d->adopt), "%s", dfs_upload_name(up));
	memcpy(d->rec.payload_hash, res->hash, 32);
	d->rec.has_hash = true;
	d->rec.payload_size = size;
	dfs_deploy_record_check(&d->rec, res);
	dfs_upload_free(up, false);
	d->up = NULL;
	return 0;
}

static void set_source_mtime(struct dfs_record *r, const struct timespec *ts)
{
	if (ts) {
		r->source_mtime_ms = dfs_time_from_timespec(ts);
		r->source_mtime_ns = (int32_t)(ts->tv_nsec % 1000000);
	} else {
		r->source_mtime_ms = dfs_time_now_ms();
		r->source_mtime_ns = 0;
	}
}

/* The record holds the blob now: the temp copy can go (see blob.h). */
static void adopt_blob(struct dfs_deploy *d)
{
	if (!d->adopt[0])
		return;
	dfs_blobs_adopt(dfs_store_blobs(d->st), d->adopt, d->rec.payload_hash);
	d->adopt[0] = '\0';
}

/*
 * Every settlement ends here once its record is stored (a commit, a
 * rollback, a hook's end, a failure): report it, and apply its project's
 * retention policy (a failed deploy's payload is subject to it too).
 */
static void settled(struct dfs_store *st, const struct dfs_deploy_conf *conf,
		    const struct dfs_record *rec)
{
	dfs_report_settled(conf->report, conf->report_arg, rec);
	dfs_retention_after_commit(st, rec->project);
}

/* Store the settled record (success, or failed with @err). */
static int settle(struct dfs_deploy *d, int err,
		  const struct dfs_project_attr *attr)
{
	int rc = dfs_catalog_update(dfs_store_catalog(d->st), &d->rec,
				    err ? NULL : attr, NULL);

	if (rc) {
		/* The blob is an orphan now; gc reclaims it. */
		d->rec.payload_blob_present = false;
		d->rec.has_hash = false;
		return dfs_deploy_fail_errno(d, rc);
	}
	adopt_blob(d);
	close_files(d);
	d->settled = true;
	d->result = err;
	settled(d->st, &d->conf, &d->rec);
	return err;
}

/* What a hooked deployment needs to be settled when its hook ends. */
struct hook_settle {
	struct dfs_store *st;
	struct dfs_deploy_conf conf;
	bool has_attr;
	struct dfs_project_attr attr;
};

/* The hook's outcome as a status: 0, -ECANCELED or -ETIMEDOUT. */
static int hook_status(struct dfs_record *r, const struct dfs_hook_outcome *o)
{
	r->phase = DFS_PHASE_HOOK;
	switch (o->end) {
	case DFS_HOOK_EXITED:
		if (o->status == 0) {
			dfs_record_succeed(r);
			return 0;
		}
		dfs_record_fail(r, DFS_ERR_HOOK_FAILED,
				"the hook exited with status %d: %s", o->status,
				o->tail);
		return -ECANCELED;
	case DFS_HOOK_SIGNALED:
		dfs_record_fail(r, DFS_ERR_HOOK_FAILED,
				"the hook was killed by signal %d: %s",
				o->status, o->tail);
		return -ECANCELED;
	case DFS_HOOK_TIMED_OUT:
		dfs_record_fail(r, DFS_ERR_HOOK_TIMEOUT,
				"the hook ran past %u s and was killed: %s",
				o->timeout_s, o->tail);
		return -ETIMEDOUT;
	case DFS_HOOK_STOPPED:
		dfs_record_fail(r, DFS_ERR_INTERRUPTED,
				"the daemon stopped while the hook ran");
		return -ECANCELED;
	default:
		dfs_record_fail(r, DFS_ERR_HOOK_FAILED,
				"cannot run the hook %s: %s", o->hook,
				strerror(-o->status));
		return -ECANCELED;
	}
}

/* The hook ended (on its thread, or in dfs_hooks_start): settle. */
static int hook_done(void *arg, struct dfs_record *r, int log_fd,
		     const struct dfs_hook_outcome *o)
{
	struct hook_settle *s = arg;
	int rc = hook_status(r, o);

	if (r->status == DFS_STATUS_SUCCESS)
		dfs_log_printf(log_fd, "hook succeeded: deployment success");
	else
		dfs_log_printf(log_fd, "%s: %s", r->error.code,
			       r->error.message);
	/* Not stored (catalog full): recovery fails it at the next start. */
	if (dfs_catalog_update(dfs_store_catalog(s->st), r,
			       s->has_attr ? &s->attr : NULL, NULL) == 0)
		settled(s->st, &s->conf, r);
	else
		dfs_report_settled(s->conf.report, s->conf.report_arg, r);
	free(s);
	return rc;
}

/* Hand over to the hook: the record waits pending, in phase hook. */
static int run_hook(struct dfs_deploy *d, const char *hook,
		    const struct dfs_project_attr *attr)
{
	struct hook_settle *s = calloc(1, sizeof(*s));
	int rc, log_fd = d->log_fd;

	if (!s)
		return dfs_deploy_fail_errno(d, -ENOMEM);
	d->rec.phase = DFS_PHASE_HOOK;
	rc = dfs_catalog_update(dfs_store_catalog(d->st), &d->rec, NULL, NULL);
	if (rc) {
		free(s);
		d->rec.payload_blob_present = false;
		d->rec.has_hash = false;
		return dfs_deploy_fail_errno(d, rc);
	}
	adopt_blob(d);
	d->log_fd = -1; /* the hook owns it now */
	close_files(d);
	d->settled = true;
	s->st = d->st;
	s->conf = d->conf;
	s->has_attr = attr != NULL;
	if (attr)
		s->attr = *attr;
	d->result = dfs_hooks_start(d->conf.hooks, &d->rec, hook, log_fd,
				    hook_done, s);
	return d->result;
}

/* After the check: settle failed, hand over to the hook, or succeed. */
int dfs_deploy_conclude(struct dfs_deploy *d,
			const struct dfs_check_result *res,
			const struct dfs_project_attr *attr)
{
	struct dfs_hooks *h = d->conf.hooks;
	enum dfs_errcode code;
	char hook[PATH_MAX];

	if (res->error.code[0]) {
		dfs_log_printf(d->log_fd, "check failed: %s: %s",
			       res->error.code, res->error.message);
		dfs_record_fail_with(&d->rec, &res->error);
		/* "File too large" says more to cp's user than a bad message. */
		return settle(d,
			      dfs_errcode_parse(res->error.code, &code) == 0 &&
					      code == DFS_ERR_TOO_LARGE
				      ? -EFBIG
				      : -EBADMSG,
			      NULL);
	}
	dfs_log_printf(
		d->log_fd,
		"check passed: %s, %llu entries, %llu bytes unpacked%s%s",
		res->format, (unsigned long long)res->entries,
		(unsigned long long)res->unpacked_size,
		res->package[0] ? ", package " : "", res->package);
	if (h && dfs_hooks_find(h, d->rec.project, hook, sizeof(hook)))
		return run_hook(d, hook, attr);
	dfs_record_succeed(&d->rec);
	dfs_log_printf(d->log_fd, "deployment success");
	return settle(d, 0, attr);
}

int dfs_deploy_commit(struct dfs_deploy *d, const struct timespec *source_mtime,
		      const struct dfs_project_attr *attr)
{
	struct dfs_check_result res;
	int rc;

	if (d->settled)
		return d->result;
	if (!d->named)
		return -EINVAL;
	d->rec.phase = DFS_PHASE_VALIDATE;
	rc = check_and_store(d, &res);
	if (rc)
		return dfs_deploy_fail_errno(d, rc);
	set_source_mtime(&d->rec, source_mtime);
	return dfs_deploy_conclude(d, &res, attr);
}
