/*
 * catalog_impl — transaction-level pieces shared by the catalog's files
 * (catalog.c, project.c, catalog_scan.c, audit.c, query.c) and nobody
 * else. Every function works inside the caller's transaction and returns
 * 0 or -errno.
 */
#ifndef DFS_CATALOG_IMPL_H
#define DFS_CATALOG_IMPL_H

#include "catalog.h"
#include "store_impl.h"

/* Index values: the id, then the seq (big-endian): 24 bytes, dupfixed. */
#define DFS_IDX_LEN 24

MDB_val dfs_catalog_sval(const char *s);

/* Read, then bump, the counter @name in meta (counters start at 1). */
int dfs_catalog_counter(struct dfs_store *st, MDB_txn *txn, const char *name,
			uint64_t *out);

/* Add (@add) or remove the entry (@key, @rec's id and seq) of @dbi. */
int dfs_catalog_index_set(MDB_txn *txn, MDB_dbi dbi, const char *key,
			  const struct dfs_record *rec, bool add);

/* The by_pstatus key of @rec: "<project>/<status>". */
void dfs_catalog_pstatus_key(const char *project, enum dfs_status status,
			     char out[DFS_PROJECT_MAX + 16]);

int dfs_record_get_txn(struct dfs_store *st, MDB_txn *txn, const uint8_t id[16],
		       struct dfs_record *rec);
int dfs_record_put_txn(struct dfs_store *st, MDB_txn *txn,
		       const struct dfs_record *rec);

/* A new pending record (see dfs_catalog_create), started at @at_ms. */
int dfs_catalog_create_txn(struct dfs_store *st, MDB_txn *txn,
			   const char *project, const struct dfs_who *who,
			   const struct dfs_project_attr *attr, int64_t at_ms,
			   struct dfs_record *rec);

/* Store @rec over its stored version; the audit event is @actor's. */
int dfs_catalog_update_txn(struct dfs_store *st, MDB_txn *txn,
			   const struct dfs_record *rec,
			   const struct dfs_project_attr *attr,
			   const struct dfs_who *actor);

/*
 * dfs_catalog_delete_txn — take record @id out of every index and the
 * records, dropping the reference it holds on its blob: the one way a
 * record goes (see dfs_project_remove). *@old is what it was; *@last_ref
 * is true when its blob has no reference left, so that the caller
 * removes the file once this commits. Errors: -ENOENT, -errno.
 */
int dfs_catalog_delete_txn(struct dfs_store *st, MDB_txn *txn,
			   const uint8_t id[16], struct dfs_record *old,
			   bool *last_ref);

/* Append one audit event about a project as a whole (no deployment). */
int dfs_audit_append_project_txn(struct dfs_store *st, MDB_txn *txn,
				 const char *project, const char *action,
				 uint64_t records, const struct dfs_who *actor);

/* Forget the retention policy of @project, if it has one. */
int dfs_retention_forget_txn(struct dfs_store *st, MDB_txn *txn,
			     const char *project);

int dfs_project_get_txn(struct dfs_store *st, MDB_txn *txn, const char *name,
			struct dfs_project *p);
int dfs_project_put_txn(struct dfs_store *st, MDB_txn *txn,
			const struct dfs_project *p);
int dfs_project_ensure_txn(struct dfs_store *st, MDB_txn *txn, const char *name,
			   const struct dfs_project_attr *attr,
			   struct dfs_project *p);

/*
 * Versions (version.c): give @rec the next number of its project's
 * counter and index it; take a record's entry out of the index.
 */
int dfs_version_add_txn(struct dfs_store *st, MDB_txn *txn,
			struct dfs_record *rec);
int dfs_version_del_txn(struct dfs_store *st, MDB_txn *txn,
			const struct dfs_record *rec);

/*
 * dfs_version_upgrade — number the records of a store made before
 * versions, in batches of one write transaction each, resuming after a
 * crash; the caller then sets the format. Returns 0 or -errno.
 */
int dfs_version_upgrade(struct dfs_store *st);

/* dfs_catalog_scan inside the caller's transaction. */
int dfs_catalog_scan_txn(struct dfs_store *st, MDB_txn *txn,
			 enum dfs_scan scope, const char *key, uint64_t after,
			 dfs_scan_fn fn, void *arg);

/* Append one audit event (see audit.h) for @rec. */
int dfs_audit_append_txn(struct dfs_store *st, MDB_txn *txn,
			 const struct dfs_record *rec, const char *action,
			 const struct dfs_who *actor);

#endif
