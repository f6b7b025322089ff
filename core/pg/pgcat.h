/*
 * pgcat — the PostgreSQL catalog backend's insides, shared by the
 * core/pg/cat_*.c files and nobody else. Each op of catalog_backend.h
 * takes the catalog's lock, runs one transaction on its connection and
 * releases both; the *_txn functions run inside the caller's.
 *
 * Lock order inside a transaction (no two writers wait on each other in
 * a cycle): clock, then projects rows, then records rows, then counts
 * rows in (pseq, status) order, then blob_refs rows, then audit_head
 * last. dfs_pgcat_record_get with @lock takes the record's project row
 * first for that reason.
 */
#ifndef DFS_PGCAT_H
#define DFS_PGCAT_H

#include <pthread.h>

#include "catalog_backend.h"
#include "catalog_pg.h"
#include "pg_lastknown.h"
#include "pg_lease.h"
#include "pg.h"

struct dfs_pgcat {
	struct dfs_catalog base;
	pthread_mutex_t lock; /* one operation at a time on pg */
	struct dfs_pg *pg;
	bool daemon; /* holds the node's lease */
	char node[256];
	struct dfs_pg_lease lease; /* valid when daemon */
	bool has_actor;		   /* recovery ran: in whose name */
	struct dfs_who actor;
	struct dfs_pg_lastknown *known; /* a daemon's; NULL otherwise */
};

static inline struct dfs_pgcat *dfs_pgcat(struct dfs_catalog *cat)
{
	return (struct dfs_pgcat *)cat;
}

/* Take the lock and begin; end with dfs_pgcat_end (commit or not). */
int dfs_pgcat_begin(struct dfs_pgcat *c);
int dfs_pgcat_end(struct dfs_pgcat *c, int rc);
/* The lock alone (reads of one statement). */
void dfs_pgcat_lock(struct dfs_pgcat *c);
void dfs_pgcat_unlock(struct dfs_pgcat *c);

/* ---- records (cat_records.c) ---- */

int dfs_pgcat_record_get(struct dfs_pgcat *c, const uint8_t id[16], bool lock,
			 struct dfs_record *rec);
int dfs_pgcat_create_txn(struct dfs_pgcat *c, const char *project,
			 const struct dfs_who *who,
			 const struct dfs_project_attr *attr, int64_t at_ms,
			 struct dfs_record *rec);
int dfs_pgcat_update_txn(struct dfs_pgcat *c, const struct dfs_record *rec,
			 const struct dfs_project_attr *attr,
			 const struct dfs_who *actor);
/* Take record @id out; *@last_ref: its blob has no reference left. */
int dfs_pgcat_delete_txn(struct dfs_pgcat *c, const uint8_t id[16],
			 struct dfs_record *old, bool *last_ref);
/* Add @d to the counts of (@pseq, @status) and of all projects. */
int dfs_pgcat_count_add(struct dfs_pgcat *c, uint64_t pseq,
			enum dfs_status status, int64_t d);
int dfs_pgcat_event(struct dfs_pgcat *c, const struct dfs_record *rec,
		    const char *action, const struct dfs_who *actor);
int dfs_pgcat_project_event(struct dfs_pgcat *c, const char *project,
			    const char *action, uint64_t records,
			    const struct dfs_who *actor);

/* ---- projects (cat_projects.c) ---- */

/* Load (@lock: FOR UPDATE) a live project by name. -ENOENT. */
int dfs_pgcat_project_load(struct dfs_pgcat *c, const char *name, bool lock,
			   struct dfs_project *p);
int dfs_pgcat_project_ensure(struct dfs_pgcat *c, const char *name,
			     const struct dfs_project_attr *attr,
			     struct dfs_project *p);
int dfs_pgcat_project_store(struct dfs_pgcat *c, const struct dfs_project *p);

/* The ops (catalog_backend.h), by file. */
int dfs_pgcat_create(struct dfs_catalog *, const char *, const struct dfs_who *,
		     const struct dfs_project_attr *, struct dfs_record *);
int dfs_pgcat_update(struct dfs_catalog *, const struct dfs_record *,
		     const struct dfs_project_attr *, const struct dfs_who *);
int dfs_pgcat_drop_payload(struct dfs_catalog *, const uint8_t[16],
			   enum dfs_drop_why, const struct dfs_who *,
			   struct dfs_record *, bool *);
int dfs_pgcat_set_pinned(struct dfs_catalog *, const uint8_t[16], bool,
			 const struct dfs_who *);
int dfs_pgcat_note(struct dfs_catalog *, const struct dfs_record *,
		   const char *, const struct dfs_who *);
int dfs_pgcat_get(struct dfs_catalog *, const uint8_t[16], struct dfs_record *);
int dfs_pgcat_get_seq(struct dfs_catalog *, uint64_t, struct dfs_record *);
int dfs_pgcat_find_version(struct dfs_catalog *, const char *, uint64_t,
			   uint8_t[16], uint64_t *);
int dfs_pgcat_find_prefix(struct dfs_catalog *, const uint8_t[16], unsigned,
			  uint8_t[16]);
int dfs_pgcat_latest(struct dfs_catalog *, const char *, uint8_t[16]);
int dfs_pgcat_blob_refs(struct dfs_catalog *, const uint8_t[32], uint64_t *);
int dfs_pgcat_recover(struct dfs_catalog *, const struct dfs_who *, unsigned *);

/*
 * lastknown.c: get, get_seq, latest, project_get and project_get_seq
 * through the last-known table (pg_lastknown.h); the table of ops points
 * here. dfs_pgcat_offline: whether @rc (a call's result) means the
 * database is unreachable (-EIO with the session down) and c has a table.
 */
bool dfs_pgcat_offline(struct dfs_pgcat *c, int rc);
int dfs_pgcat_known_get(struct dfs_catalog *, const uint8_t[16],
			struct dfs_record *);
int dfs_pgcat_known_get_seq(struct dfs_catalog *, uint64_t,
			    struct dfs_record *);
int dfs_pgcat_known_latest(struct dfs_catalog *, const char *, uint8_t[16]);
int dfs_pgcat_known_project_get(struct dfs_catalog *, const char *,
				struct dfs_project *);
int dfs_pgcat_known_project_get_seq(struct dfs_catalog *, uint64_t,
				    struct dfs_project *);

int dfs_pgcat_project_get(struct dfs_catalog *, const char *,
			  struct dfs_project *);
int dfs_pgcat_project_get_seq(struct dfs_catalog *, uint64_t,
			      struct dfs_project *);
int dfs_pgcat_project_count(struct dfs_catalog *, const char *,
			    struct dfs_project_counts *);
int dfs_pgcat_project_set_attr(struct dfs_catalog *, const char *,
			       const struct dfs_project_attr *);
int dfs_pgcat_project_hide(struct dfs_catalog *, const char *);
int dfs_pgcat_project_remove_batch(struct dfs_catalog *, struct dfs_removal *);

int dfs_pgcat_scan(struct dfs_catalog *, enum dfs_scan, const char *, uint64_t,
		   dfs_scan_fn, void *);
int dfs_pgcat_query(struct dfs_catalog *, const struct dfs_query *,
		    int (*)(void *, const struct dfs_record *), void *,
		    uint64_t *);

int dfs_pgcat_audit_size(struct dfs_catalog *, uint64_t *);
int dfs_pgcat_audit_read(struct dfs_catalog *, uint64_t, void *, size_t,
			 size_t *);
int dfs_pgcat_audit_scan(struct dfs_catalog *, uint64_t,
			 int (*)(void *, const struct dfs_event *), void *);

int dfs_pgcat_policy_get(struct dfs_catalog *, const char *,
			 struct dfs_retention *, bool *);
int dfs_pgcat_policy_set(struct dfs_catalog *, const char *,
			 const struct dfs_retention *);
int dfs_pgcat_setting_get(struct dfs_catalog *, const char *, char **);
int dfs_pgcat_setting_set(struct dfs_catalog *, const char *, const char *);

int dfs_pgcat_batch_begin(struct dfs_catalog *, struct dfs_batch **);
int dfs_pgcat_batch_create(struct dfs_batch *, const char *,
			   const struct dfs_who *,
			   const struct dfs_project_attr *, int64_t,
			   struct dfs_record *);
int dfs_pgcat_batch_update(struct dfs_batch *, const struct dfs_record *);
int dfs_pgcat_batch_commit(struct dfs_batch *);
void dfs_pgcat_batch_abort(struct dfs_batch *);

#endif
