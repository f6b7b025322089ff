/* catalog_plan — see catalog_plan.h. */
#include "catalog_plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "uuid7.h"

static bool interrupted(const struct dfs_record *rec)
{
	return strcmp(rec->error.code, dfs_errcode_name(DFS_ERR_INTERRUPTED)) ==
	       0;
}

void dfs_catalog_plan_create(struct dfs_record *rec, const char *project,
			     const struct dfs_who *who, const char *node)
{
	snprintf(rec->project, sizeof(rec->project), "%s", project);
	rec->started_ms = (int64_t)dfs_uuid7_ms(rec->id);
	rec->who = *who;
	snprintf(rec->origin_node, sizeof(rec->origin_node), "%s", node);
}

const char *dfs_catalog_plan_pin(struct dfs_record *rec, bool on)
{
	if (rec->pinned == on)
		return NULL;
	rec->pinned = on;
	return on ? "pinned" : "unpinned";
}

void dfs_catalog_plan_interrupt(struct dfs_record *rec)
{
	dfs_record_fail(rec, DFS_ERR_INTERRUPTED,
			"the daemon stopped before the deployment completed");
}

const char *dfs_catalog_plan_action(const struct dfs_record *old,
				    const struct dfs_record *rec)
{
	if (old->status != rec->status) {
		if (rec->status == DFS_STATUS_SUCCESS)
			return "succeeded";
		return interrupted(rec) ? "interrupted" : "failed";
	}
	if (old->payload_blob_present && !rec->payload_blob_present)
		return "payload_dropped";
	return NULL;
}

int dfs_catalog_plan_update(struct dfs_catalog_plan *plan,
			    const struct dfs_record *old,
			    const struct dfs_record *rec,
			    const struct dfs_who *actor)
{
	bool old_holds, new_holds;

	if (old->seq != rec->seq || strcmp(old->project, rec->project) != 0)
		return -EINVAL;
	if (old->status != DFS_STATUS_PENDING &&
	    rec->status == DFS_STATUS_PENDING)
		return -EINVAL;
	plan->rec = *rec;
	plan->rec.pinned = old->pinned;
	plan->rec.version = old->version;
	plan->status_moves = old->status != rec->status;
	old_holds = dfs_record_holds_payload(old);
	new_holds = dfs_record_holds_payload(&plan->rec);
	plan->ref = old_holds == new_holds ? 0 : new_holds ? +1 : -1;
	plan->current = DFS_PLAN_CURRENT_KEEP;
	if (old->status == DFS_STATUS_PENDING &&
	    rec->status == DFS_STATUS_SUCCESS && new_holds)
		plan->current = DFS_PLAN_CURRENT_SETTLE;
	else if (rec->status == DFS_STATUS_SUCCESS && old_holds && !new_holds)
		plan->current = DFS_PLAN_CURRENT_RECOMPUTE;
	plan->action = dfs_catalog_plan_action(old, &plan->rec);
	plan->actor = actor ? actor : &plan->rec.who;
	return 0;
}

void dfs_catalog_plan_attr(struct dfs_project *p,
			   const struct dfs_project_attr *attr, int64_t now_ms)
{
	p->uid = attr->uid;
	p->gid = attr->gid;
	p->mode = attr->mode & 07777;
	p->ctime_ms = now_ms;
}

void dfs_catalog_plan_settle(struct dfs_project *p,
			     const struct dfs_record *rec,
			     const struct dfs_project_attr *attr,
			     int64_t now_ms)
{
	if (!p->has_current || memcmp(rec->id, p->current, 16) > 0) {
		memcpy(p->current, rec->id, 16);
		p->has_current = true;
	}
	/*
	 * A success shows a hidden drop box again, whenever its record was
	 * made (rsync's staging file has one from its first byte, before a
	 * backup rename hides the drop box it then replaces).
	 */
	p->hidden = false;
	if (attr)
		dfs_catalog_plan_attr(p, attr, now_ms);
}

void dfs_catalog_plan_new_project(struct dfs_project *p, const char *name,
				  const struct dfs_project_attr *attr,
				  int64_t now_ms)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->uid = attr ? attr->uid : 0;
	p->gid = attr ? attr->gid : 0;
	p->mode = attr ? attr->mode & 07777 : 0644;
	p->created_ms = p->ctime_ms = now_ms;
}

int dfs_catalog_plan_hide(struct dfs_project *p)
{
	if (p->hidden)
		return -ENOENT;
	p->hidden = true;
	return 0;
}

bool dfs_catalog_plan_drop_needs_project(const struct dfs_record *rec,
					 enum dfs_drop_why why)
{
	return why == DFS_DROP_POLICY && rec->status != DFS_STATUS_PENDING &&
	       !rec->pinned;
}

int dfs_catalog_plan_drop(const struct dfs_record *rec, enum dfs_drop_why why,
			  const struct dfs_project *p)
{
	if (rec->status == DFS_STATUS_PENDING)
		return -EBUSY;
	if (why != DFS_DROP_POLICY)
		return 0;
	if (rec->pinned)
		return -EBUSY;
	if (p->has_current && memcmp(p->current, rec->id, 16) == 0)
		return -EBUSY;
	return 0;
}

int dfs_catalog_plan_remove(const struct dfs_who *actor,
			    const struct dfs_project *p,
			    const struct dfs_project_counts *c, bool force)
{
	if (actor->uid != 0 && actor->uid != p->uid)
		return -EPERM;
	if (c->pending)
		return -EBUSY;
	if (c->success && !force)
		return -ENOTEMPTY;
	return 0;
}
