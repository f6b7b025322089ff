/*
 * catalog — everything deployfs knows about deployments except the
 * payload bytes: records, projects, their indexes, the audit trail,
 * retention policies, pins, blob reference counts and settings. One
 * interface, several backends (catalog_backend.h): the embedded LMDB
 * store (core/lmdb/, the default) and a shared PostgreSQL database.
 *
 * Layering (the rule for every core/ module; this is the lowest header
 * of catalog, audit, project and store):
 *
 *   floor     name, who, record, isotime, uuid7, audit (event format)
 *   catalog   this interface and its backends; keys, counters and
 *             transactions live in a backend and nowhere else
 *   blobs     payload bytes (blobs.h), knows nothing of records
 *   store     a directory holding a catalog, a blob store and tmp/
 *   above     payload (drop), project (remove), retention, query,
 *             deploy, dropbox, hook, tree, reader, gc, verify
 *
 * A module calls only modules below it; nothing below calls up. A
 * backend never touches files other than its own (no blob files, logs
 * or manifests): where an operation leaves a blob unreferenced it says
 * so (last_ref) and the caller removes the bytes after the commit.
 *
 * Invariants, kept by every backend, each operation being atomic (all
 * or nothing, one transaction) and durable on return:
 *  - every record is listed exactly once by id, by seq, by project, by
 *    status, by (project, status) and by (project, version), and while
 *    it holds a payload (dfs_record_holds_payload) once among its
 *    project's held records (what retention walks);
 *  - every change of a record's status, payload or pin appends exactly
 *    one audit event in the same transaction (see audit.h): the
 *    operations below are the only way to change a record, and the
 *    choke point that works out index moves, references, current and
 *    the event from the old and new record is dfs_catalog_update;
 *  - ids and seqs grow together: a new record's id (UUIDv7) is greater
 *    than every id stored before, and its seq greater than every seq
 *    ever given (removed ones included), so listing by id is listing
 *    in deploy order and seqs make stable, never reused inode numbers;
 *    the same holds for a project's pseq and for a project's version
 *    counter (never reset, not even by dfs_catalog_project_remove);
 *  - a project's current is its newest success holding a payload;
 *  - a blob's reference count is the number of records holding it;
 *  - the audit trail is append-only: an event starts at the byte
 *    offset where the previous one ended (offsets are gapless, in
 *    commit order).
 *
 * Ownership: structs filled by these functions are caller-owned copies
 * (nothing borrowed from a transaction escapes it), except where a
 * callback gets a pointer "borrowed for the callback". A callback may
 * call the catalog's read operations (on the same thread, from another
 * snapshot), never its writes. Every function
 * returns 0 or -errno. Errors common to all, not repeated below:
 * -ENOSPC (the catalog is full: LMDB map full, database out of space),
 * -EIO (the backend failed or is unreachable), -ENOMEM.
 */
#ifndef DFS_CATALOG_H
#define DFS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "record.h"
#include "who.h"

struct dfs_catalog;

/* ---- opening ---------------------------------------------------------- */

enum dfs_catalog_flags {
	DFS_CATALOG_CREATE = 1 << 0, /* make a new catalog when there is none */
};

/*
 * The LMDB catalog's format, checked at open. 2: by_held, the index
 * retention walks; 3: versions (by_version). A catalog of format 2 is
 * upgraded when opened: its records are numbered in batches that resume
 * if cut short, then the format is set, holding the store's daemon.lock
 * for the while (-EPROTO when a daemon of the older build serves it).
 */
#define DFS_CATALOG_LMDB_FORMAT	     3
#define DFS_CATALOG_LMDB_MAP_DEFAULT (64ULL << 30)

/*
 * dfs_catalog_open_lmdb — the LMDB catalog in directory @dir
 * (data.mdb, lock.mdb). @map_size is the map size in bytes (0:
 * DFS_CATALOG_LMDB_MAP_DEFAULT; a full map makes writes fail with
 * -ENOSPC); @node is recorded as origin_node by dfs_catalog_create.
 * Without DFS_CATALOG_CREATE nothing is created. Errors: -ENOENT (no
 * data.mdb without CREATE), -EBADMSG (not a deployfs catalog, or
 * damaged), -EPROTO (format version differs, or an upgrade is needed
 * while a daemon serves it). *@out is the caller's, closed with
 * dfs_catalog_close.
 */
int dfs_catalog_open_lmdb(const char *dir, unsigned flags, uint64_t map_size,
			  const char *node, struct dfs_catalog **out);

/* Close and free @cat (NULL is a no-op). */
void dfs_catalog_close(struct dfs_catalog *cat);

/* The node name recorded as origin_node; lives as long as @cat. */
const char *dfs_catalog_node(const struct dfs_catalog *cat);

/* Whether other hosts write to the same catalog (PostgreSQL). */
bool dfs_catalog_shared(const struct dfs_catalog *cat);

/*
 * dfs_catalog_recover — after a crash of the node serving @cat: every
 * pending record it received becomes failed with code "interrupted"
 * (phase kept in the error, phase done, completed now), one
 * "interrupted" audit event each in @actor's name. Committed records are
 * not touched. Called once by the daemon before it serves. *@n: the
 * records failed. Errors: the common ones.
 */
int dfs_catalog_recover(struct dfs_catalog *cat, const struct dfs_who *actor,
			unsigned *n);

/*
 * dfs_catalog_trim — give back memory the backend holds only as a cache
 * when the process's file-backed resident memory exceeds @limit bytes
 * (LMDB: drop the map's page table entries). *@trimmed says whether it
 * did. A backend with nothing to trim sets false and returns 0.
 * Errors: -ENOENT (the map could not be found).
 */
int dfs_catalog_trim(struct dfs_catalog *cat, uint64_t limit, bool *trimmed);

/* ---- records ---------------------------------------------------------- */

/* Owner and mode asked for by a project's first deploy or by setattr. */
struct dfs_project_attr {
	uint32_t uid;
	uint32_t gid;
	uint32_t mode;
};

/*
 * dfs_catalog_create — a new pending record for @project by @who, in
 * phase upload: a new id and seq, the project's next version, started
 * now, origin_node the catalog's node; indexed and audited ("created").
 * The project is created with @attr (pseq, created now) when it does not
 * exist, and shown again if hidden. Fills @rec with the stored record.
 * Errors: -EINVAL (bad project name).
 */
int dfs_catalog_create(struct dfs_catalog *cat, const char *project,
		       const struct dfs_who *who,
		       const struct dfs_project_attr *attr,
		       struct dfs_record *rec);

/*
 * dfs_catalog_update — the choke point: store @rec over the record with
 * its id, and from the difference between the two work out in the same
 * transaction:
 *  - the status indexes (pending -> success | failed only);
 *  - the held index and the blob's reference count, when the record
 *    starts or stops holding a payload;
 *  - the project's current: on pending -> success with a payload it
 *    moves to @rec when newer, and @attr (may be NULL) becomes the
 *    project's owner and mode; when a success drops its payload it
 *    moves back to the newest success still holding one;
 *  - one audit event when the status changes ("succeeded", "failed",
 *    or "interrupted" for error code interrupted) or the payload is
 *    dropped ("payload_dropped"), in @actor's name (NULL: rec->who).
 * @rec's pinned and version are ignored (the stored ones are kept: only
 * dfs_catalog_set_pinned changes a pin, a version never changes).
 * Errors: -ENOENT (no such record), -EINVAL (seq or project differ from
 * the stored record's, or status would go back to pending).
 */
int dfs_catalog_update(struct dfs_catalog *cat, const struct dfs_record *rec,
		       const struct dfs_project_attr *attr,
		       const struct dfs_who *actor);

/* How dfs_catalog_drop_payload decides. */
enum dfs_drop_why {
	DFS_DROP_ASKED,	 /* someone asked for this payload to go */
	DFS_DROP_POLICY, /* a retention policy, decided from a snapshot */
};

/*
 * dfs_catalog_drop_payload — record @id stops holding its payload
 * (payload_blob_present false; the record stays), through the choke
 * point above (audit "payload_dropped" in @actor's name, current moves
 * back). For DFS_DROP_POLICY it is refused when the record is pinned or
 * is its project's current by now. Nothing changes when the payload is
 * gone already. *@rec (may be NULL) is the record as it was; *@last_ref
 * is true when the blob it held has no reference left: the caller then
 * removes the bytes (blobs.h) after this returns. Errors: -ENOENT,
 * -EBUSY (pending; or, for a policy, pinned or current).
 */
int dfs_catalog_drop_payload(struct dfs_catalog *cat, const uint8_t id[16],
			     enum dfs_drop_why why, const struct dfs_who *actor,
			     struct dfs_record *rec, bool *last_ref);

/*
 * dfs_catalog_set_pinned — set record @id's pinned flag, with one audit
 * event ("pinned" / "unpinned") when it changes. A pending record can be
 * pinned: its settling keeps the pin. Errors: -ENOENT.
 */
int dfs_catalog_set_pinned(struct dfs_catalog *cat, const uint8_t id[16],
			   bool on, const struct dfs_who *actor);

/*
 * dfs_catalog_note — one audit event about @rec that changes nothing
 * (@action, e.g. "payload_corrupt", at most 31 bytes), in @actor's name.
 * Errors: -EINVAL (@action too long).
 */
int dfs_catalog_note(struct dfs_catalog *cat, const struct dfs_record *rec,
		     const char *action, const struct dfs_who *actor);

/*
 * Look a record up: by id, by seq, or the project's newest record of any
 * status (its id). find_version: the id (and seq, @seq may be NULL) of
 * deployment @version of @project (a project's deployments are numbered
 * from 1 at create, rollbacks included; numbers are never reused, not
 * even after the project is removed and made again), one index get.
 * find_prefix: the one id whose first @nibbles hex digits (4 to 32) are
 * those of @lo (the digits after them zero in @lo), one seek in id order.
 * Errors: -ENOENT (none: never made, or its project removed), -ENOTUNIQ
 * (prefix of several ids), -EBADMSG (stored record undecodable), -EINVAL
 * (bad project name, version 0, or @nibbles out of range).
 */
int dfs_catalog_get(struct dfs_catalog *cat, const uint8_t id[16],
		    struct dfs_record *rec);
int dfs_catalog_get_seq(struct dfs_catalog *cat, uint64_t seq,
			struct dfs_record *rec);
int dfs_catalog_find_version(struct dfs_catalog *cat, const char *project,
			     uint64_t version, uint8_t id[16], uint64_t *seq);
int dfs_catalog_find_prefix(struct dfs_catalog *cat, const uint8_t lo[16],
			    unsigned nibbles, uint8_t id[16]);
int dfs_catalog_latest(struct dfs_catalog *cat, const char *project,
		       uint8_t id[16]);

/* Reference count of blob @hash: the records holding it (0: unknown).
 * Errors: the common ones. */
int dfs_catalog_blob_refs(struct dfs_catalog *cat, const uint8_t hash[32],
			  uint64_t *refs);

/* ---- projects --------------------------------------------------------- */

struct dfs_project {
	char name[DFS_PROJECT_MAX + 1];
	uint64_t pseq; /* catalog-wide creation number: stable inode numbers */
	uint32_t uid;
	uint32_t gid;
	uint32_t mode; /* permission bits of deploy/<name> */
	int64_t created_ms;
	int64_t ctime_ms; /* last change of the attributes above */
	bool has_current;
	uint8_t current[16]; /* newest success holding a payload */
	bool hidden; /* unlinked from deploy/ until its next deployment */
};

/* How many deployments a project has, in all and by status. */
struct dfs_project_counts {
	uint64_t total;
	uint64_t pending;
	uint64_t success;
	uint64_t failed;
};

/*
 * Look a project up by name, or by pseq (a removed project's pseq is
 * -ENOENT, never another project). Count its records (O(1) per index in
 * LMDB). Errors: -ENOENT.
 */
int dfs_catalog_project_get(struct dfs_catalog *cat, const char *name,
			    struct dfs_project *p);
int dfs_catalog_project_get_seq(struct dfs_catalog *cat, uint64_t pseq,
				struct dfs_project *p);
int dfs_catalog_project_count(struct dfs_catalog *cat, const char *name,
			      struct dfs_project_counts *out);

/* Change a project's owner and mode (ctime now). Errors: -ENOENT. */
int dfs_catalog_project_set_attr(struct dfs_catalog *cat, const char *name,
				 const struct dfs_project_attr *attr);

/*
 * dfs_catalog_project_hide — take deploy/@name out of deploy/ (what
 * unlink does) and change nothing else; the project's next record shows
 * it again. Errors: -ENOENT (no such project, or hidden already).
 */
int dfs_catalog_project_hide(struct dfs_catalog *cat, const char *name);

/*
 * Called by dfs_catalog_project_remove after each batch committed, once
 * per record it removed: @id, and when the blob that record held has no
 * reference left, its hash @unref (else NULL) and @size. The caller
 * removes the files that go with them (logs, manifests, blob bytes). A
 * crash before leaves orphans for gc.
 */
typedef void (*dfs_removed_fn)(void *arg, const uint8_t id[16],
			       const uint8_t *unref, uint64_t size);

/*
 * dfs_catalog_project_remove — remove project @name: its records from
 * the records and every index with the blob references they hold, then
 * the project and its retention policy, and one "project_removed" event
 * in @actor's name counting the records. Only root or the project's
 * owner (@actor->uid against the stored uid) may.
 *
 * Records go in batches, each one transaction keeping every invariant
 * (a batch takes its records out of all indexes and drops their
 * references together, and the project's current with them; the last
 * batch takes the project and writes the event), so memory does not
 * grow with the project and other deploys never wait long. Each batch
 * judges again whether the project may go: refused after some batches
 * (a deploy of it started meanwhile), or cut short by a crash, the
 * project stays with fewer records and no current, and removing it
 * again finishes. A removed project's pseq and seqs are never given
 * again; its version counter outlives it. *@removed: the records
 * removed (also on error, by the batches that committed).
 *
 * Errors: -ENOENT (no such project), -EPERM (neither root nor the
 * owner), -EBUSY (a deployment of it is pending), -ENOTEMPTY (one
 * succeeded and @force is false).
 */
int dfs_catalog_project_remove(struct dfs_catalog *cat, const char *name,
			       bool force, const struct dfs_who *actor,
			       dfs_removed_fn fn, void *arg, uint64_t *removed);

/* ---- listings --------------------------------------------------------- */

/* What a scan walks. */
enum dfs_scan {
	DFS_SCAN_ALL,	   /* every deployment, by id */
	DFS_SCAN_PROJECT,  /* deployments of project @key, by id */
	DFS_SCAN_STATUS,   /* deployments with status name @key, by id */
	DFS_SCAN_PROJECTS, /* project names, sorted (bytewise) */
	DFS_SCAN_HELD,	   /* deployments of project @key holding a payload,
			      newest first */
};

/* One scanned entry; name is set for projects only. Borrowed: copy it. */
struct dfs_entry {
	uint8_t id[16];
	uint64_t seq; /* deployment seq, or project pseq */
	const char *name;
	bool hidden; /* a project hidden from deploy/ */
};

/* Return 0 to go on, > 0 to stop (not an error), < 0 to stop with it. */
typedef int (*dfs_scan_fn)(void *arg, const struct dfs_entry *e);

/*
 * dfs_catalog_scan — walk @scope in its order from one snapshot, with a
 * cursor positioned after the entry whose seq (pseq for projects) is
 * @after (0: from the start). The position is what readdir offsets are
 * made of: a listing resumed from the seq of the last entry it returned
 * sees every later entry exactly once. An entry removed since it was
 * listed (dfs_catalog_project_remove) still marks its place: the walk
 * resumes after where it was. DFS_SCAN_HELD ignores @after (pass 0).
 * Returns 0 at the end, the callback's positive value when it stopped,
 * or -errno: -EINVAL (@key is not a status name, or @scope unknown),
 * -ENOENT (@after is a seq or pseq that was never given).
 */
int dfs_catalog_scan(struct dfs_catalog *cat, enum dfs_scan scope,
		     const char *key, uint64_t after, dfs_scan_fn fn,
		     void *arg);

/* A page of deployments, newest first (see dfs_catalog_query). */
struct dfs_query {
	const char *project; /* NULL: every project */
	bool has_status;
	enum dfs_status status;
	int64_t since_ms; /* inclusive on started_at; DFS_TIME_NONE: open */
	int64_t until_ms; /* inclusive; DFS_TIME_NONE: open */
	uint64_t offset;
	uint64_t limit; /* 0: no limit */
};

/* A query with no filter, offset or limit. */
void dfs_query_init(struct dfs_query *q);

/*
 * dfs_catalog_query — call @fn for each record of the page, newest first
 * (ids are unique and ordered: no ties), from one snapshot; @fn gets the
 * record borrowed for the call and returns 0 to go on. *@total (may be
 * NULL) is the number of matches before paging. A page costs about
 * log(n) plus its size, served from the index the filters choose.
 * Errors: -EINVAL (bad project name), or what @fn returned.
 */
int dfs_catalog_query(struct dfs_catalog *cat, const struct dfs_query *q,
		      int (*fn)(void *arg, const struct dfs_record *rec),
		      void *arg, uint64_t *total);

/* ---- the audit trail (events: audit.h) ------------------------------- */

/* The size of audit.log in bytes: where the next event will start.
 * Errors: the common ones. */
int dfs_catalog_audit_size(struct dfs_catalog *cat, uint64_t *size);

/*
 * dfs_catalog_audit_read — up to @n bytes of audit.log from byte @off
 * into @buf (any offset, mid-line included); *@got is 0 at the end.
 * Errors: the common ones.
 */
int dfs_catalog_audit_read(struct dfs_catalog *cat, uint64_t off, void *buf,
			   size_t n, size_t *got);

/*
 * dfs_catalog_audit_scan — call @fn for every event whose line starts at
 * or after byte @from, in order, from one snapshot (the event's line is
 * borrowed for the call). @fn returns 0 to go on, non-zero to stop: that
 * value is returned. Errors: -EBADMSG (an undecodable event).
 */
int dfs_catalog_audit_scan(struct dfs_catalog *cat, uint64_t from,
			   int (*fn)(void *arg, const struct dfs_event *e),
			   void *arg);

/* ---- retention policies and settings --------------------------------- */

/* A retention policy (rules: retention.h); a zero rule is not set. */
struct dfs_retention {
	uint64_t keep_success;
	uint64_t keep_days;
	uint64_t max_bytes;
};

/*
 * The policy of @project (NULL: the catalog's default). *@set tells
 * whether one is stored; an unset one reads as all zero. Setting an all
 * zero policy removes it. Errors: -EINVAL (bad project name).
 */
int dfs_catalog_policy_get(struct dfs_catalog *cat, const char *project,
			   struct dfs_retention *pol, bool *set);
int dfs_catalog_policy_set(struct dfs_catalog *cat, const char *project,
			   const struct dfs_retention *pol);

/*
 * A small named setting (@key: "deploy_dir"), its value a NUL-free
 * string the caller encodes. get: *@val is malloc'd (the caller frees
 * it), -ENOENT when unset.
 */
int dfs_catalog_setting_get(struct dfs_catalog *cat, const char *key,
			    char **val);
int dfs_catalog_setting_set(struct dfs_catalog *cat, const char *key,
			    const char *val);

/* ---- batches ---------------------------------------------------------- */

/*
 * Batches: many records in one transaction, for generators and imports.
 * Each record goes through the same code as a live deploy (create, then
 * the choke point: indexes, references, current, audit). A batch holds
 * the catalog's write lock until committed or aborted: nothing else
 * writes meanwhile.
 */
struct dfs_batch;

/* Begin a batch: waits for other writers. Errors: the common ones. */
int dfs_catalog_batch_begin(struct dfs_catalog *cat, struct dfs_batch **out);

/*
 * dfs_batch_add — a record like @tmpl (project, who, status, payload and
 * error fields) started at @at_ms (DFS_TIME_NONE: now; ids stay ordered,
 * so a time before the newest record's is moved up to it). A success or
 * failed template is settled at once; a blob it names must be stored
 * already. Fills @out (may be NULL). Errors: -EINVAL (bad project name);
 * after any error the batch must be aborted.
 */
int dfs_batch_add(struct dfs_batch *b, const struct dfs_record *tmpl,
		  int64_t at_ms, struct dfs_record *out);

/* Commit (0 or -errno) or abort; either frees @b. */
int dfs_batch_commit(struct dfs_batch *b);
void dfs_batch_abort(struct dfs_batch *b);

#endif
