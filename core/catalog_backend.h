/*
 * catalog_backend — what a catalog backend implements (private to core/;
 * the contract of each operation is the doc comment of the dfs_catalog_*
 * function of the same name in catalog.h).
 *
 * A backend defines its own struct whose first member is a struct
 * dfs_catalog (so the two pointers convert), fills ops with a static
 * table and node with the name it records as origin_node, and provides
 * an open function (dfs_catalog_open_lmdb, ...). catalog.c checks the
 * arguments every backend would check the same way (project names,
 * status names, policy keys) before calling through the table, so a
 * backend may assume them valid.
 *
 * Every operation is one transaction: all of it commits or none, and
 * what it returns was read from one snapshot. A backend keeps the
 * invariants of catalog.h with one function doing what
 * dfs_catalog_update describes (the choke point): drop_payload,
 * recover and batch_update call it too (and a record goes only through
 * the backend's one delete), so no change of a record can skip an
 * index move, a reference, current or its audit event. What a change
 * implies is decided once, in catalog_plan.h (dfs_catalog_plan_update
 * and the project rules beside it); the backend applies the plan with
 * its own storage calls and decides nothing of it. Event lines are made
 * by audit.h's dfs_audit_line, so every backend writes the same bytes.
 *
 * Optional operations (NULL in the table): trim (catalog.c then reports
 * nothing trimmed).
 */
#ifndef DFS_CATALOG_BACKEND_H
#define DFS_CATALOG_BACKEND_H

#include "catalog.h"

/*
 * A removal goes in batches of this many records, each one transaction:
 * memory stays bounded and deploys wait for one batch at most, never for
 * the whole project.
 */
#define DFS_REMOVE_BATCH 512

/*
 * A project's removal (dfs_catalog_project_remove). catalog.c runs the
 * batches and hands each committed one to the caller; the backend's
 * project_remove_batch runs one batch in one transaction: it loads the
 * project and judges whether it may go (dfs_catalog_plan_remove, again in
 * every batch), puts the first DFS_REMOVE_BATCH ids of its records in
 * ids, deletes them with dfs_removal_delete, and once that set done (the
 * last records went), removes the project itself, its policy, and writes
 * the "project_removed" event for removed + n records; else it clears the
 * project's current, which names none of them once they go.
 */
struct dfs_removal {
	const char *name;
	bool force;
	const struct dfs_who *actor;
	unsigned n; /* records in this batch */
	uint8_t ids[DFS_REMOVE_BATCH][16];
	bool unref[DFS_REMOVE_BATCH]; /* blob left unreferenced by this batch */
	uint8_t blobs[DFS_REMOVE_BATCH][32];
	uint64_t sizes[DFS_REMOVE_BATCH];
	uint64_t removed; /* records removed by the batches before */
	bool done;	  /* this batch removes the project itself */
};

/*
 * dfs_removal_delete — delete the batch's n records with @del (the
 * backend's delete, in its transaction: *old is what went, *last_ref
 * whether its blob has no reference left), noting each blob left
 * unreferenced; sets done when the batch was the last. Returns 0 or the
 * first error of @del.
 */
int dfs_removal_delete(struct dfs_removal *rm,
		       int (*del)(void *ctx, const uint8_t id[16],
				  struct dfs_record *old, bool *last_ref),
		       void *ctx);

struct dfs_catalog_ops {
	/* Other hosts write to the same catalog (dfs_catalog_shared). */
	bool shared;
	void (*close)(struct dfs_catalog *cat);
	int (*recover)(struct dfs_catalog *cat, const struct dfs_who *actor,
		       unsigned *n);
	int (*trim)(struct dfs_catalog *cat, uint64_t limit, bool *trimmed);

	int (*create)(struct dfs_catalog *cat, const char *project,
		      const struct dfs_who *who,
		      const struct dfs_project_attr *attr,
		      struct dfs_record *rec);
	int (*update)(struct dfs_catalog *cat, const struct dfs_record *rec,
		      const struct dfs_project_attr *attr,
		      const struct dfs_who *actor);
	int (*drop_payload)(struct dfs_catalog *cat, const uint8_t id[16],
			    enum dfs_drop_why why, const struct dfs_who *actor,
			    struct dfs_record *rec, bool *last_ref);
	int (*set_pinned)(struct dfs_catalog *cat, const uint8_t id[16],
			  bool on, const struct dfs_who *actor);
	int (*note)(struct dfs_catalog *cat, const struct dfs_record *rec,
		    const char *action, const struct dfs_who *actor);
	int (*get)(struct dfs_catalog *cat, const uint8_t id[16],
		   struct dfs_record *rec);
	int (*get_seq)(struct dfs_catalog *cat, uint64_t seq,
		       struct dfs_record *rec);
	int (*find_version)(struct dfs_catalog *cat, const char *project,
			    uint64_t version, uint8_t id[16], uint64_t *seq);
	int (*find_prefix)(struct dfs_catalog *cat, const uint8_t lo[16],
			   unsigned nibbles, uint8_t id[16]);
	int (*latest)(struct dfs_catalog *cat, const char *project,
		      uint8_t id[16]);
	int (*blob_refs)(struct dfs_catalog *cat, const uint8_t hash[32],
			 uint64_t *refs);

	int (*project_get)(struct dfs_catalog *cat, const char *name,
			   struct dfs_project *p);
	int (*project_get_seq)(struct dfs_catalog *cat, uint64_t pseq,
			       struct dfs_project *p);
	int (*project_count)(struct dfs_catalog *cat, const char *name,
			     struct dfs_project_counts *out);
	int (*project_set_attr)(struct dfs_catalog *cat, const char *name,
				const struct dfs_project_attr *attr);
	int (*project_hide)(struct dfs_catalog *cat, const char *name);
	/* One batch of dfs_catalog_project_remove (see struct dfs_removal). */
	int (*project_remove_batch)(struct dfs_catalog *cat,
				    struct dfs_removal *rm);

	int (*scan)(struct dfs_catalog *cat, enum dfs_scan scope,
		    const char *key, uint64_t after, dfs_scan_fn fn, void *arg);
	int (*query)(struct dfs_catalog *cat, const struct dfs_query *q,
		     int (*fn)(void *arg, const struct dfs_record *rec),
		     void *arg, uint64_t *total);

	int (*audit_size)(struct dfs_catalog *cat, uint64_t *size);
	int (*audit_read)(struct dfs_catalog *cat, uint64_t off, void *buf,
			  size_t n, size_t *got);
	int (*audit_scan)(struct dfs_catalog *cat, uint64_t from,
			  int (*fn)(void *arg, const struct dfs_event *e),
			  void *arg);

	int (*policy_get)(struct dfs_catalog *cat, const char *project,
			  struct dfs_retention *pol, bool *set);
	int (*policy_set)(struct dfs_catalog *cat, const char *project,
			  const struct dfs_retention *pol);
	int (*setting_get)(struct dfs_catalog *cat, const char *key,
			   char **val);
	int (*setting_set)(struct dfs_catalog *cat, const char *key,
			   const char *val);

	/*
	 * Batches: begin returns the backend's batch (whose first member
	 * is a struct dfs_batch); commit and abort free it. dfs_batch_add
	 * (catalog.c) makes each record with batch_create (what create
	 * does, started at @at_ms) and settles it as its template says with
	 * batch_update (what update does, in the name of the record's who),
	 * both in the batch's transaction.
	 */
	int (*batch_begin)(struct dfs_catalog *cat, struct dfs_batch **out);
	int (*batch_create)(struct dfs_batch *b, const char *project,
			    const struct dfs_who *who,
			    const struct dfs_project_attr *attr, int64_t at_ms,
			    struct dfs_record *rec);
	int (*batch_update)(struct dfs_batch *b, const struct dfs_record *rec);
	int (*batch_commit)(struct dfs_batch *b);
	void (*batch_abort)(struct dfs_batch *b);
};

struct dfs_catalog {
	const struct dfs_catalog_ops *ops;
	char node[DFS_HOST_MAX]; /* origin_node of the records it creates */
};

struct dfs_batch {
	struct dfs_catalog *cat;
};

#endif
