/*
 * catalog_plan — what a change in the catalog implies, worked out once for
 * every backend (private to core/; see catalog_backend.h).
 *
 * A backend's choke point reads the stored record, asks
 * dfs_catalog_plan_update what the change means, and applies the answer
 * with its own storage calls: the status move, the blob reference, the
 * project's current, the audit event. Likewise for projects: the backend
 * loads and stores, these functions decide. Nothing here touches storage,
 * allocates or fails but with the errors named.
 */
#ifndef DFS_CATALOG_PLAN_H
#define DFS_CATALOG_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"

/* What becomes of the project's current when a change is stored. */
enum dfs_plan_current {
	DFS_PLAN_CURRENT_KEEP,	 /* unchanged */
	DFS_PLAN_CURRENT_SETTLE, /* dfs_catalog_plan_settle with the record */
	DFS_PLAN_CURRENT_RECOMPUTE, /* back to the newest success held */
};

/*
 * A change of one record, from its stored version @old to a new one. The
 * plan is self-contained: actor may point into rec, so keep the plan
 * where it is while it is used.
 */
struct dfs_catalog_plan {
	/* What to store: the change, with old's pinned and version kept. */
	struct dfs_record rec;
	/* The status changes: old leaves its status index (and count), rec
	 * enters its own. */
	bool status_moves;
	/*
	 * The blob reference: -1, old's blob loses the reference rec held
	 * (and rec leaves the index of records holding a payload); +1, rec's
	 * blob gains one (and rec enters that index); 0, nothing.
	 */
	int ref;
	enum dfs_plan_current current;
	/* The audit event ("succeeded", "failed", "interrupted",
	 * "payload_dropped"), or NULL when the change is none. */
	const char *action;
	/* In whose name the event is: the caller's actor, else rec's who. */
	const struct dfs_who *actor;
};

/*
 * dfs_catalog_plan_update — fill @plan for storing @rec over @old (the
 * stored version of the same record) in @actor's name (NULL: rec's who).
 * Only dfs_catalog_set_pinned changes pinned, and a version never
 * changes: plan->rec keeps @old's. Errors: -EINVAL (@rec is another
 * record: seq or project differ; or it goes back to pending); @plan is
 * then untouched.
 */
int dfs_catalog_plan_update(struct dfs_catalog_plan *plan,
			    const struct dfs_record *old,
			    const struct dfs_record *rec,
			    const struct dfs_who *actor);

/*
 * dfs_catalog_plan_create — the fields of a new record the catalog sets
 * besides id, seq and version (which the backend assigns first):
 * @project, started at the id's time, by @who, on @node. Its audit event
 * is "created".
 */
void dfs_catalog_plan_create(struct dfs_record *rec, const char *project,
			     const struct dfs_who *who, const char *node);

/*
 * dfs_catalog_plan_pin — pin (@on) or unpin @rec: returns the audit
 * action ("pinned", "unpinned") with rec->pinned set, or NULL when
 * nothing changes (then there is nothing to store and no event).
 */
const char *dfs_catalog_plan_pin(struct dfs_record *rec, bool on);

/* What recovery makes of a pending record its daemon left: failed,
 * "interrupted". */
void dfs_catalog_plan_interrupt(struct dfs_record *rec);

/* The audit action of a change from @old to @rec, or NULL: none. */
const char *dfs_catalog_plan_action(const struct dfs_record *old,
				    const struct dfs_record *rec);

/*
 * dfs_catalog_plan_settle — project @p once @rec settled as a success
 * holding its payload: current moves to @rec unless a newer one is
 * current already; @attr (NULL: none) applies as dfs_catalog_plan_attr.
 */
void dfs_catalog_plan_settle(struct dfs_project *p,
			     const struct dfs_record *rec,
			     const struct dfs_project_attr *attr,
			     int64_t now_ms);

/* Owner, group and mode (permission bits only) of @attr; ctime @now_ms. */
void dfs_catalog_plan_attr(struct dfs_project *p,
			   const struct dfs_project_attr *attr, int64_t now_ms);

/*
 * dfs_catalog_plan_new_project — a new project @name (valid, see
 * name.h) with @attr (NULL: root's, mode 0644), created at @now_ms; its
 * pseq is the backend's to assign.
 */
void dfs_catalog_plan_new_project(struct dfs_project *p, const char *name,
				  const struct dfs_project_attr *attr,
				  int64_t now_ms);

/*
 * dfs_catalog_plan_hide — take @p out of deploy/ (unlink): 0, or -ENOENT
 * when it is hidden already (then @p is unchanged).
 */
int dfs_catalog_plan_hide(struct dfs_project *p);

/* Whether a drop of @rec's payload for @why needs its project loaded. */
bool dfs_catalog_plan_drop_needs_project(const struct dfs_record *rec,
					 enum dfs_drop_why why);

/*
 * dfs_catalog_plan_drop — whether @rec's payload may be dropped for @why:
 * never while pending; a policy never drops a pinned payload or its
 * project's current (@p, needed when
 * dfs_catalog_plan_drop_needs_project says so, else may be NULL).
 * Returns 0 or -EBUSY.
 */
int dfs_catalog_plan_drop(const struct dfs_record *rec, enum dfs_drop_why why,
			  const struct dfs_project *p);

/*
 * dfs_catalog_plan_remove — whether @actor may remove project @p with
 * the records @c counts (@force: its successes too). Returns 0, -EPERM
 * (neither root nor the owner), -EBUSY (a deployment pending) or
 * -ENOTEMPTY (successes kept, no @force).
 */
int dfs_catalog_plan_remove(const struct dfs_who *actor,
			    const struct dfs_project *p,
			    const struct dfs_project_counts *c, bool force);

#endif
