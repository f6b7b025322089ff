/*
 * deploy — the life of one deployment: a pending record and its upload,
 * then commit (payload fsynced into the blob store, checked, record set to
 * success or failed in one transaction) or failure.
 *
 * Invariants: the record exists (pending) from dfs_deploy_begin on (for a
 * deployment begun without a project, from dfs_deploy_name on); once
 * the deployment is settled (committed or failed) it stays so, and every
 * later commit returns the same result. A settled deployment owns no temp
 * file. Not thread-safe: the caller serialises calls on one deployment.
 */
#ifndef DFS_DEPLOY_H
#define DFS_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "record.h"
#include "report.h"
#include "src.h"
#include "store.h"

struct dfs_deploy;
struct dfs_hooks;

/*
 * What the front end decides for its deploys, passed to every one of
 * them explicitly (borrowed: it must outlive them, and the hooks they
 * started). A NULL conf is all defaults.
 */
#define DFS_DEPLOY_PAYLOAD_DEFAULT (64ULL << 30)
struct dfs_deploy_conf {
	struct dfs_hooks *hooks; /* NULL: no hooks run */
	uint64_t max_payload;	 /* 0: DFS_DEPLOY_PAYLOAD_DEFAULT */
	uint64_t max_unpacked;	 /* 0: the check's default (check.h) */
	dfs_report_fn report;	 /* a line per settled deployment, or NULL */
	void *report_arg;
};

/* The max_payload @conf (may be NULL) means. */
uint64_t dfs_deploy_max_payload(const struct dfs_deploy_conf *conf);

/*
 * dfs_deploy_begin — create the pending record for @project by @who and
 * its temp file, under @conf (may be NULL: defaults). @attr is the project's owner and mode if it is new.
 * With @project NULL (a staging file whose project is only known when it
 * is renamed) the upload and its check start, but no record exists until
 * dfs_deploy_name; freed before that, it leaves nothing behind.
 * Errors: -EINVAL (bad name), -ENOSPC, other -errno; nothing is left
 * behind on error. Free with dfs_deploy_free once settled, else
 * dfs_deploy_abort.
 */
int dfs_deploy_begin(struct dfs_store *st, const struct dfs_deploy_conf *conf,
		     const char *project, const struct dfs_who *who,
		     const struct dfs_project_attr *attr,
		     struct dfs_deploy **out);

/*
 * dfs_deploy_name — give a deployment begun without a project its project:
 * the pending record appears now, by the writer of the first byte and
 * with started_at the time of dfs_deploy_begin (its id, and so its place
 * in listings, is of now). @attr as for dfs_deploy_begin. Errors:
 * -EINVAL (bad name, or named already), the settled result if a write
 * failed, -ENOSPC, other -errno (the deployment stays unnamed).
 */
int dfs_deploy_name(struct dfs_deploy *d, const char *project,
		    const struct dfs_project_attr *attr);

/* Whether @d has a record (begun with a project, or named since). */
bool dfs_deploy_named(const struct dfs_deploy *d);

/*
 * dfs_deploy_abort — settle @d if it is not settled yet, as failed with
 * code "aborted" (its writer went away without committing; one that was
 * never named just goes, with its temp files), then free it.
 * dfs_deploy_free — only free @d, with its temp files: one not settled
 * yet keeps its record as last stored (pending, so that recovery fails
 * it "interrupted" at the next start, as after a crash). A writer that
 * went away means dfs_deploy_abort.
 */
void dfs_deploy_abort(struct dfs_deploy *d);
void dfs_deploy_free(struct dfs_deploy *d);

/* The record as last stored; borrowed, valid until the next call on @d. */
const struct dfs_record *dfs_deploy_record(const struct dfs_deploy *d);

/*
 * Start from the payload of blob @hash (opens without O_TRUNC). Errors:
 * -ENOENT (no such blob), the settled result, -ENOSPC, -EIO, -errno.
 */
int dfs_deploy_seed(struct dfs_deploy *d, const uint8_t hash[32]);

/*
 * Write, truncate and read the payload being received. A write error
 * (-ENOSPC, -EIO, and -EFBIG for a write past the store's max_payload)
 * settles the deployment as failed with its code ("no_space", "io_error",
 * "too_large") and frees the temp file's space at once; the write is not
 * made. A truncate past max_payload returns -EFBIG and changes nothing.
 * Errors after settlement: the settled result, or -EBADF.
 */
int dfs_deploy_write(struct dfs_deploy *d, const struct dfs_src *src,
		     uint64_t off);
int dfs_deploy_truncate(struct dfs_deploy *d, uint64_t size);
int dfs_deploy_read(struct dfs_deploy *d, void *buf, size_t n, uint64_t off,
		    size_t *got);
uint64_t dfs_deploy_size(const struct dfs_deploy *d);

/*
 * dfs_deploy_commit — settle: hash, check, store the blob, and record
 * success or failed. @source_mtime is the payload's mtime as the writer
 * set it (NULL: the time of the commit); @attr (may be NULL) becomes the
 * project's owner and mode on success. Returns 0 for success, else the errno
 * that the writer's close or rename should see: -EBADMSG (not an archive),
 * -ENOSPC, -EIO, ...; the failed record keeps the error. -EINVAL,
 * leaving @d as it was: begun without a project and not named yet.
 */
struct timespec;
int dfs_deploy_commit(struct dfs_deploy *d, const struct timespec *source_mtime,
		      const struct dfs_project_attr *attr);

/*
 * dfs_deploy_save_progress — store bytes_received if it changed since it
 * was last stored (writes do so at most about once a second; call this
 * from a timer so that a stalled upload shows all it received).
 */
void dfs_deploy_save_progress(struct dfs_deploy *d);

/*
 * dfs_deploy_rollback — a new deployment of @project with the payload of
 * @target (NULL: the newest success before current that still has its
 * payload), rollback_of set. No byte is copied: it holds the same blob.
 * It goes through the same check and hook as any deploy; @out is its
 * record when this returns (pending while an asynchronous hook runs).
 * Errors, with nothing created: -ENOENT (no such target, or nothing to
 * roll back to), -EXDEV (another project's), -EINVAL (not a success),
 * -ENODATA (its payload was dropped). After creation: what
 * dfs_deploy_commit returns, with @out failed.
 */
int dfs_deploy_rollback(struct dfs_store *st,
			const struct dfs_deploy_conf *conf, const char *project,
			const uint8_t *target, const struct dfs_who *who,
			struct dfs_record *out);

/* The default target of a rollback of @project. Errors: -ENOENT. */
int dfs_deploy_rollback_target(struct dfs_store *st, const char *project,
			       struct dfs_record *t);

/* True once committed or failed. */
bool dfs_deploy_settled(const struct dfs_deploy *d);

/* Map an errno to the record's error code (DFS_ERR_NO_SPACE, ...). */
enum dfs_errcode dfs_deploy_errcode(int err);

#endif
