/*
 * catalog — records, projects and their indexes in the store's LMDB.
 *
 * Invariants, kept by single write transactions:
 *  - every record is in "records" under its id, in "by_seq" under its seq,
 *    in "by_project" under (project, id), in "by_status" under
 *    (status, id) and in "by_pstatus" under (project/status, id), exactly
 *    once each, and in "by_held" under (project, id) while it holds a
 *    payload (what retention walks);
 *  - every change of a record's status or payload appends one audit event
 *    in the same transaction (see audit.h): nothing can skip it;
 *  - ids and seqs grow together: a new record's id is greater than every
 *    stored id, so listing by id is listing in deploy order;
 *  - a project's current is its newest success with a payload;
 *  - a blob's reference count is the number of records that hold it.
 * Every function runs its own transaction; nothing borrowed from LMDB
 * escapes one.
 */
#ifndef DFS_CATALOG_H
#define DFS_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

struct dfs_project {
	char name[DFS_PROJECT_MAX + 1];
	uint64_t pseq; /* store-wide creation number: stable inode numbers */
	uint32_t uid;
	uint32_t gid;
	uint32_t mode; /* permission bits of deploy/<name> */
	int64_t created_ms;
	int64_t ctime_ms; /* last change of the attributes above */
	bool has_current;
	uint8_t current[16]; /* newest success holding a payload */
	bool hidden; /* unlinked from deploy/ until its next deployment */
};

/* Owner and mode asked for by a project's first deploy or by setattr. */
struct dfs_project_attr {
	uint32_t uid;
	uint32_t gid;
	uint32_t mode;
};

/*
 * dfs_catalog_create — a new pending record for @project by @who, in
 * phase upload; the project is created with @attr if it does not exist.
 * Fills @rec with the stored record. Errors: -EINVAL (bad project name),
 * -ENOSPC (map full), other -errno.
 */
int dfs_catalog_create(struct dfs_store *st, const char *project,
		       const struct dfs_who *who,
		       const struct dfs_project_attr *attr,
		       struct dfs_record *rec);

/*
 * dfs_catalog_update — store @rec over the record with its id, moving it
 * between status indexes. On a pending -> success move with a payload, the
 * blob gains a reference and the project's current moves to it when it is
 * newer; @attr (may be NULL) then becomes the project's owner and mode.
 * Errors: -ENOENT (no such record), -EINVAL (status would go back to
 * pending), -ENOSPC, other -errno.
 */
int dfs_catalog_update(struct dfs_store *st, const struct dfs_record *rec,
		       const struct dfs_project_attr *attr);

/* Same, with the audit event in @actor's name (NULL: the record's who). */
int dfs_catalog_update_by(struct dfs_store *st, const struct dfs_record *rec,
			  const struct dfs_project_attr *attr,
			  const struct dfs_who *actor);

/*
 * dfs_catalog_drop_payload — free the payload of record @id and keep the
 * record (payload_blob_present false), with an audit event in @actor's
 * name; the project's current moves back if it was this one. *@freed is
 * the bytes freed on disk: 0 when another record holds the same blob or
 * the payload was dropped already. Errors: -ENOENT, -EBUSY (pending).
 */
int dfs_catalog_drop_payload(struct dfs_store *st, const uint8_t id[16],
			     const struct dfs_who *actor, uint64_t *freed);

/*
 * dfs_catalog_drop_by_policy — the same for a retention policy, which
 * decided from an earlier snapshot: refused (-EBUSY) when the record is
 * pinned or its project's current by now.
 */
int dfs_catalog_drop_by_policy(struct dfs_store *st, const uint8_t id[16],
			       const struct dfs_who *actor, uint64_t *freed);

/*
 * dfs_catalog_set_pinned — set a record's pinned flag, with an audit event
 * ("pinned" / "unpinned") when it changes. dfs_catalog_update never
 * changes the flag: a deploy settling keeps a pin set meanwhile.
 * Errors: -ENOENT, -errno.
 */
int dfs_catalog_set_pinned(struct dfs_store *st, const uint8_t id[16], bool on,
			   const struct dfs_who *actor);

/*
 * dfs_catalog_note — an audit event about @rec that changes nothing
 * (@action: e.g. "payload_corrupt"), in @actor's name. Returns 0 or -errno.
 */
int dfs_catalog_note(struct dfs_store *st, const struct dfs_record *rec,
		     const char *action, const struct dfs_who *actor);

/* Look a record up. Errors: -ENOENT, -EBADMSG (undecodable), -errno. */
int dfs_catalog_get(struct dfs_store *st, const uint8_t id[16],
		    struct dfs_record *rec);
int dfs_catalog_get_seq(struct dfs_store *st, uint64_t seq,
			struct dfs_record *rec);

/* The newest deployment of @project, any status. Errors: -ENOENT. */
int dfs_catalog_latest(struct dfs_store *st, const char *project,
		       uint8_t id[16]);

/* Look a project up by name or by pseq. Errors: -ENOENT, -errno. */
int dfs_project_get(struct dfs_store *st, const char *name,
		    struct dfs_project *p);
int dfs_project_get_seq(struct dfs_store *st, uint64_t pseq,
			struct dfs_project *p);

/*
 * dfs_project_may — whether @c may read (DFS_MAY_READ) or write
 * (DFS_MAY_WRITE) project @p by its owner, group and mode, as the kernel
 * would judge a file; root may everything.
 */
#define DFS_MAY_READ  4
#define DFS_MAY_WRITE 2
bool dfs_project_may(const struct dfs_project *p, const struct dfs_caller *c,
		     unsigned want);

/* How many deployments a project has, in all and by status. */
struct dfs_project_counts {
	uint64_t total;
	uint64_t pending;
	uint64_t success;
	uint64_t failed;
};

/* dfs_project_count — into @out. Errors: -ENOENT (no such project). */
int dfs_project_count(struct dfs_store *st, const char *name,
		      struct dfs_project_counts *out);

/*
 * dfs_project_remove — remove project @name: every record of it from the
 * records and every index, the blob references they hold, the project
 * itself and its retention policy; then the blob files no record holds
 * any more (as dropping a payload does) and the records' logs and
 * manifests. Only root or the project's owner (@actor's uid against the
 * stored uid) may; one "project_removed" audit event in @actor's name
 * counts the records removed. *@removed is that count, *@freed the bytes
 * of blob files removed (0 for blobs other projects share).
 *
 * Records go in batches, each one write transaction that keeps every
 * invariant above (a batch takes its records out of all indexes and drops
 * their references together; the last one takes the project and writes
 * the event), so memory does not grow with the project and deploys to
 * other projects never wait long. Each batch judges again whether the
 * project may go: if it is refused after some batches (a deploy of it
 * started meanwhile), or the process dies, the project stays with fewer
 * records and no current, and running the removal again finishes it.
 *
 * Errors: -ENOENT (no such project), -EPERM (neither root nor the owner),
 * -EBUSY (a deployment of it is pending), -ENOTEMPTY (a deployment of it
 * succeeded and @force is false), -ENOSPC, -errno.
 */
int dfs_project_remove(struct dfs_store *st, const char *name, bool force,
		       const struct dfs_who *actor, uint64_t *removed,
		       uint64_t *freed);

/* Change a project's owner/mode. Errors: -ENOENT, -ENOSPC, -errno. */
int dfs_project_set_attr(struct dfs_store *st, const char *name,
			 const struct dfs_project_attr *attr);

/*
 * dfs_project_hide — take deploy/@name out of deploy/ (what unlink does)
 * and change nothing else; the project's next deployment (created by
 * dfs_catalog_create) shows it again. Errors: -ENOENT (no such project,
 * or hidden already), -ENOSPC, -errno.
 */
int dfs_project_hide(struct dfs_store *st, const char *name);

/* Reference count of a blob (0 when unknown). Returns 0 or -errno. */
int dfs_catalog_blob_refs(struct dfs_store *st, const uint8_t hash[32],
			  uint64_t *refs);

/* Pending records, oldest first, all failed with code "interrupted". */
int dfs_catalog_fail_pending(struct dfs_store *st, unsigned *n);

/*
 * Batches: many records in one write transaction, for generators and
 * imports (each record goes through the same code as a live deploy:
 * indexes, blob references, current, audit). A batch holds LMDB's write
 * lock until committed or aborted.
 */
struct dfs_batch;

int dfs_batch_begin(struct dfs_store *st, struct dfs_batch **out);

/*
 * dfs_batch_add — a record like @tmpl (project, who, status, payload and
 * error fields) started at @at_ms (DFS_TIME_NONE: now; ids stay ordered,
 * so a time before the newest record's is moved up to it). A success or
 * failed template is settled at once; a blob it names must be stored
 * already. Fills @out (may be NULL). Errors: -EINVAL, -ENOSPC, -errno;
 * the batch must then be aborted.
 */
int dfs_batch_add(struct dfs_batch *b, const struct dfs_record *tmpl,
		  int64_t at_ms, struct dfs_record *out);

/* Commit (0 or -errno) or abort; either frees @b. */
int dfs_batch_commit(struct dfs_batch *b);
void dfs_batch_abort(struct dfs_batch *b);

/* What a scan walks. */
enum dfs_scan {
	DFS_SCAN_ALL,	   /* every deployment, by id */
	DFS_SCAN_PROJECT,  /* deployments of project @key, by id */
	DFS_SCAN_STATUS,   /* deployments with status name @key, by id */
	DFS_SCAN_PROJECTS, /* project names, sorted */
};

/* One scanned entry; name is set for projects only. Borrowed: copy it. */
struct dfs_entry {
	uint8_t id[16];
	uint64_t seq; /* deployment seq, or project pseq */
	const char *name;
	bool hidden; /* a project hidden from deploy/ (dfs_project_hide) */
};

/* Return 0 to go on, > 0 to stop (not an error), < 0 to stop with it. */
typedef int (*dfs_scan_fn)(void *arg, const struct dfs_entry *e);

/*
 * dfs_catalog_scan — walk @scope in order with one read transaction and a
 * cursor, starting after the entry whose seq is @after (0: the start).
 * An entry removed since it was listed (dfs_project_remove) still marks
 * its place: the walk resumes after where it was.
 * Returns 0 at the end, the callback's positive value when it stopped,
 * or -errno: -EINVAL when @key is not a status name, -ENOENT when
 * @after names a project that never was.
 */
int dfs_catalog_scan(struct dfs_store *st, enum dfs_scan scope, const char *key,
		     uint64_t after, dfs_scan_fn fn, void *arg);

#endif
