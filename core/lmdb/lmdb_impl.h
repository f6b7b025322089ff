/*
 * lmdb_impl — the LMDB catalog backend's insides, shared by core/lmdb/ and
 * nobody else (the only files that call mdb_*). The backend's floor:
 * the one translation of LMDB codes to -errno, keys, counters and
 * transactions. The *_txn functions and those taking an MDB_txn work
 * inside the caller's transaction and return 0 or -errno; the ops
 * (taking a struct dfs_catalog) are the table of catalog_backend.h,
 * each its own transaction.
 *
 *   data.mdb, lock.mdb   records, indexes, projects, audit, blob refs
 */
#ifndef DFS_LMDB_IMPL_H
#define DFS_LMDB_IMPL_H

#include <lmdb.h>
#include <stdbool.h>

#include "catalog_backend.h"

#define DFS_LMDB_FORMAT	     DFS_CATALOG_LMDB_FORMAT
#define DFS_LMDB_MAP_DEFAULT DFS_CATALOG_LMDB_MAP_DEFAULT

struct dfs_lmdb {
	struct dfs_catalog base;
	char *dir;
	MDB_env *env;
	MDB_dbi meta;	     /* "format", counters, "audit_end", settings */
	MDB_dbi records;     /* id -> record (JSON) */
	MDB_dbi by_seq;	     /* seq (u64 BE) -> id */
	MDB_dbi by_project;  /* project -> id, dupsort */
	MDB_dbi by_status;   /* status name -> id, dupsort */
	MDB_dbi by_pstatus;  /* "project/status" -> id, dupsort */
	MDB_dbi by_held;     /* project -> id of records holding a payload */
	MDB_dbi audit;	     /* byte offset (u64 BE) -> one JSON line */
	MDB_dbi projects;    /* name -> project (JSON) */
	MDB_dbi project_seq; /* pseq (u64 BE) -> name */
	MDB_dbi blobs;	     /* sha256 -> struct blob_ref */
	MDB_dbi by_version;  /* project NUL version (u64 BE) -> id, seq */
	void *map;	/* LMDB's map of data.mdb, found in /proc/self/maps */
	size_t map_len; /* 0 when it could not be found */
};

static inline struct dfs_lmdb *dfs_lmdb(struct dfs_catalog *cat)
{
	return (struct dfs_lmdb *)cat;
}

/* The one translation of LMDB return codes to -errno. */
int dfs_lmdb_err(int rc);

/* Begin a transaction; returns 0 or -errno. */
int dfs_lmdb_txn(struct dfs_lmdb *st, bool write, MDB_txn **txn);

/* Commit; returns 0 or -errno (the transaction is gone either way). */
int dfs_lmdb_commit(MDB_txn *txn);

/*
 * End @txn as @rc (0 or -errno, what was done in it) says: commit when
 * 0, else abort and return @rc. The transaction is gone either way.
 */
int dfs_lmdb_end(MDB_txn *txn, int rc);

/* Big-endian u64 keys sort numerically. */
void dfs_lmdb_u64_key(uint64_t v, uint8_t out[8]);
uint64_t dfs_lmdb_u64_val(const void *p);

/* Index values: the id, then the seq (big-endian): 24 bytes, dupfixed. */
#define DFS_LMDB_IDX_LEN 24

MDB_val dfs_lmdb_sval(const char *s);

/* Read, then bump, the counter @name in meta (counters start at 1). */
int dfs_lmdb_counter(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
		     uint64_t *out);

/* Add (@add) or remove the entry (@key, @rec's id and seq) of @dbi. */
int dfs_lmdb_index_set(MDB_txn *txn, MDB_dbi dbi, const char *key,
		       const struct dfs_record *rec, bool add);

/* The by_pstatus key of @rec: "<project>/<status>". */
void dfs_lmdb_pstatus_key(const char *project, enum dfs_status status,
			  char out[DFS_PROJECT_MAX + 16]);

int dfs_lmdb_record_get(struct dfs_lmdb *st, MDB_txn *txn, const uint8_t id[16],
			struct dfs_record *rec);
int dfs_lmdb_record_put(struct dfs_lmdb *st, MDB_txn *txn,
			const struct dfs_record *rec);

/* A new pending record (see dfs_catalog_create), started at @at_ms. */
int dfs_lmdb_create_txn(struct dfs_lmdb *st, MDB_txn *txn, const char *project,
			const struct dfs_who *who,
			const struct dfs_project_attr *attr, int64_t at_ms,
			struct dfs_record *rec);

/* Store @rec over its stored version; the audit event is @actor's. */
int dfs_lmdb_update_txn(struct dfs_lmdb *st, MDB_txn *txn,
			const struct dfs_record *rec,
			const struct dfs_project_attr *attr,
			const struct dfs_who *actor);

/*
 * dfs_lmdb_delete_txn — take record @id out of every index and the
 * records, dropping the reference it holds on its blob: the one way a
 * record goes (see dfs_project_remove). *@old is what it was; *@last_ref
 * is true when its blob has no reference left, so that the caller
 * removes the file once this commits. Errors: -ENOENT, -errno.
 */
int dfs_lmdb_delete_txn(struct dfs_lmdb *st, MDB_txn *txn, const uint8_t id[16],
			struct dfs_record *old, bool *last_ref);

/* How many records reference the blob @hash (0: none, or unknown). */
int dfs_lmdb_blob_refs_txn(struct dfs_lmdb *st, MDB_txn *txn,
			   const uint8_t hash[32], uint64_t *refs);

/* Append one audit event about a project as a whole (no deployment). */
int dfs_lmdb_audit_append_project(struct dfs_lmdb *st, MDB_txn *txn,
				  const char *project, const char *action,
				  uint64_t records,
				  const struct dfs_who *actor);

/* Forget the retention policy of @project, if it has one. */
int dfs_lmdb_policy_forget(struct dfs_lmdb *st, MDB_txn *txn,
			   const char *project);

int dfs_lmdb_project_load(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
			  struct dfs_project *p);
int dfs_lmdb_project_put(struct dfs_lmdb *st, MDB_txn *txn,
			 const struct dfs_project *p);
int dfs_lmdb_project_ensure(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
			    const struct dfs_project_attr *attr,
			    struct dfs_project *p);

/* dfs_catalog_scan inside the caller's transaction. */
int dfs_lmdb_scan_txn(struct dfs_lmdb *st, MDB_txn *txn, enum dfs_scan scope,
		      const char *key, uint64_t after, dfs_scan_fn fn,
		      void *arg);

/* Append one audit event (see audit.h) for @rec. */
int dfs_lmdb_audit_append(struct dfs_lmdb *st, MDB_txn *txn,
			  const struct dfs_record *rec, const char *action,
			  const struct dfs_who *actor);

/*
 * Versions (version.c): give @rec the next number of its project's
 * counter and index it; take a record's entry out of the index.
 */
int dfs_lmdb_version_add(struct dfs_lmdb *st, MDB_txn *txn,
			 struct dfs_record *rec);
int dfs_lmdb_version_del(struct dfs_lmdb *st, MDB_txn *txn,
			 const struct dfs_record *rec);

/*
 * dfs_lmdb_version_upgrade — number the records of a catalog made before
 * versions, in batches of one write transaction each, resuming after a
 * crash; the caller then sets the format. Returns 0 or -errno.
 */
int dfs_lmdb_version_upgrade(struct dfs_lmdb *st);

/* ---- the ops (catalog_backend.h), by file ---------------------------- */

/* open.c */
void dfs_lmdb_close(struct dfs_catalog *cat);
int dfs_lmdb_trim(struct dfs_catalog *cat, uint64_t limit, bool *trimmed);
int dfs_lmdb_setting_get(struct dfs_catalog *cat, const char *key, char **val);
int dfs_lmdb_setting_set(struct dfs_catalog *cat, const char *key,
			 const char *val);

/* records.c */
int dfs_lmdb_recover(struct dfs_catalog *cat, const struct dfs_who *actor,
		     unsigned *n);
int dfs_lmdb_create(struct dfs_catalog *cat, const char *project,
		    const struct dfs_who *who,
		    const struct dfs_project_attr *attr,
		    struct dfs_record *rec);
int dfs_lmdb_update(struct dfs_catalog *cat, const struct dfs_record *rec,
		    const struct dfs_project_attr *attr,
		    const struct dfs_who *actor);
int dfs_lmdb_note(struct dfs_catalog *cat, const struct dfs_record *rec,
		  const char *action, const struct dfs_who *actor);
int dfs_lmdb_get(struct dfs_catalog *cat, const uint8_t id[16],
		 struct dfs_record *rec);
int dfs_lmdb_get_seq(struct dfs_catalog *cat, uint64_t seq,
		     struct dfs_record *rec);
int dfs_lmdb_latest(struct dfs_catalog *cat, const char *project,
		    uint8_t id[16]);
int dfs_lmdb_blob_refs(struct dfs_catalog *cat, const uint8_t hash[32],
		       uint64_t *refs);

/* payload.c */
int dfs_lmdb_drop_payload(struct dfs_catalog *cat, const uint8_t id[16],
			  enum dfs_drop_why why, const struct dfs_who *actor,
			  struct dfs_record *rec, bool *last_ref);
int dfs_lmdb_set_pinned(struct dfs_catalog *cat, const uint8_t id[16], bool on,
			const struct dfs_who *actor);

/* project.c */
int dfs_lmdb_project_get(struct dfs_catalog *cat, const char *name,
			 struct dfs_project *p);
int dfs_lmdb_project_get_seq(struct dfs_catalog *cat, uint64_t pseq,
			     struct dfs_project *p);
int dfs_lmdb_project_count(struct dfs_catalog *cat, const char *name,
			   struct dfs_project_counts *out);
int dfs_lmdb_project_set_attr(struct dfs_catalog *cat, const char *name,
			      const struct dfs_project_attr *attr);
int dfs_lmdb_project_hide(struct dfs_catalog *cat, const char *name);
int dfs_lmdb_project_remove_batch(struct dfs_catalog *cat,
				  struct dfs_removal *rm);

/* scan.c, query.c */
int dfs_lmdb_scan(struct dfs_catalog *cat, enum dfs_scan scope, const char *key,
		  uint64_t after, dfs_scan_fn fn, void *arg);
int dfs_lmdb_query(struct dfs_catalog *cat, const struct dfs_query *q,
		   int (*fn)(void *arg, const struct dfs_record *rec),
		   void *arg, uint64_t *total);
int dfs_lmdb_find_prefix(struct dfs_catalog *cat, const uint8_t lo[16],
			 unsigned nibbles, uint8_t id[16]);

/* audit.c */
int dfs_lmdb_audit_size(struct dfs_catalog *cat, uint64_t *size);
int dfs_lmdb_audit_read(struct dfs_catalog *cat, uint64_t off, void *buf,
			size_t n, size_t *got);
int dfs_lmdb_audit_scan(struct dfs_catalog *cat, uint64_t from,
			int (*fn)(void *arg, const struct dfs_event *e),
			void *arg);

/* policy.c */
int dfs_lmdb_policy_get(struct dfs_catalog *cat, const char *project,
			struct dfs_retention *pol, bool *set);
int dfs_lmdb_policy_set(struct dfs_catalog *cat, const char *project,
			const struct dfs_retention *pol);

/* version.c */
int dfs_lmdb_find_version(struct dfs_catalog *cat, const char *project,
			  uint64_t version, uint8_t id[16], uint64_t *seq);

/* batch.c */
int dfs_lmdb_batch_begin(struct dfs_catalog *cat, struct dfs_batch **out);
int dfs_lmdb_batch_create(struct dfs_batch *b, const char *project,
			  const struct dfs_who *who,
			  const struct dfs_project_attr *attr, int64_t at_ms,
			  struct dfs_record *rec);
int dfs_lmdb_batch_update(struct dfs_batch *b, const struct dfs_record *rec);
int dfs_lmdb_batch_commit(struct dfs_batch *b);
void dfs_lmdb_batch_abort(struct dfs_batch *b);

#endif
