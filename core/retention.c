/* retention — see retention.h. */
#include "retention.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payload.h"
#include "isotime.h"

static bool policy_empty(const struct dfs_retention *p)
{
	return !p->keep_success && !p->keep_days && !p->max_bytes;
}

struct plan {
	struct dfs_drop *v;
	size_t n, cap;
};

static int plan_add(struct plan *p, const struct dfs_record *r)
{
	struct dfs_drop *d;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;

		d = realloc(p->v, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		p->v = d;
		p->cap = cap;
	}
	d = &p->v[p->n++];
	memcpy(d->id, r->id, 16);
	snprintf(d->project, sizeof(d->project), "%s", r->project);
	memcpy(d->hash, r->payload_hash, 32);
	d->size = r->payload_size;
	d->freed = 0;
	return 0;
}

/* Whether the policy keeps @r's payload; @successes and @kept run on. */
static bool keeps(const struct dfs_retention *pol, const struct dfs_project *p,
		  const struct dfs_record *r, int64_t now_ms,
		  uint64_t *successes, uint64_t *kept)
{
	bool holds = r->has_hash && r->payload_blob_present;
	bool keep = (p->has_current && memcmp(p->current, r->id, 16) == 0) ||
		    r->pinned;

	if (r->status == DFS_STATUS_SUCCESS && pol->keep_success &&
	    ++*successes <= pol->keep_success)
		keep = true;
	if (pol->keep_days &&
	    r->started_ms >= now_ms - (int64_t)pol->keep_days * 86400000)
		keep = true;
	if (holds && pol->max_bytes &&
	    *kept + r->payload_size <= pol->max_bytes)
		keep = true;
	if (keep && holds)
		*kept += r->payload_size;
	return keep;
}

struct held_walk {
	struct dfs_catalog *cat;
	const struct dfs_retention *pol;
	const struct dfs_project *p;
	int64_t now_ms;
	uint64_t successes, kept;
	struct plan *plan;
};

static int held_each(void *arg, const struct dfs_entry *e)
{
	struct held_walk *w = arg;
	struct dfs_record r;
	int rc;

	rc = dfs_catalog_get(w->cat, e->id, &r);
	if (rc == -ENOENT)
		return 0; /* gone since: nothing to drop */
	if (rc || r.status == DFS_STATUS_PENDING)
		return rc;
	if (keeps(w->pol, w->p, &r, w->now_ms, &w->successes, &w->kept) ||
	    !dfs_record_holds_payload(&r))
		return 0;
	return plan_add(w->plan, &r);
}

/* A project's drops, newest first as the walk finds them, then reversed. */
static int plan_project(struct dfs_catalog *cat, const char *name,
			int64_t now_ms, struct plan *plan)
{
	struct dfs_retention pol;
	struct dfs_project p;
	struct held_walk w = {cat, &pol, &p, now_ms, 0, 0, plan};
	size_t first = plan->n;
	bool set;
	int rc;

	rc = dfs_catalog_policy_get(cat, name, &pol, &set);
	if (!rc && !set)
		rc = dfs_catalog_policy_get(cat, NULL, &pol, &set);
	if (!rc)
		rc = dfs_catalog_project_get(cat, name, &p);
	if (rc || policy_empty(&pol))
		return rc;
	/* Only records holding a payload: the walk is as long as the kept. */
	rc = dfs_catalog_scan(cat, DFS_SCAN_HELD, name, 0, held_each, &w);
	for (size_t i = first, j = plan->n; !rc && i + 1 < j; i++, j--) {
		struct dfs_drop t = plan->v[i];

		plan->v[i] = plan->v[j - 1];
		plan->v[j - 1] = t;
	}
	return rc;
}

static int by_hash(const void *a, const void *b)
{
	const struct dfs_drop *const *x = a, *const *y = b;
	int c = memcmp((*x)->hash, (*y)->hash, 32);

	return c ? c : (*x < *y ? -1 : *x > *y);
}

/*
 * A blob is freed by the last of its holders to be dropped, when every
 * holder is dropped: count the plan's holders of each blob against its
 * reference count.
 */
static int plan_freed(struct dfs_catalog *cat, struct plan *plan)
{
	struct dfs_drop **s = malloc((plan->n + 1) * sizeof(*s));
	size_t i = 0, j;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	for (size_t k = 0; k < plan->n; k++)
		s[k] = &plan->v[k];
	qsort(s, plan->n, sizeof(*s), by_hash);
	for (; i < plan->n && !rc; i = j) {
		uint64_t refs = 0;

		for (j = i + 1;
		     j < plan->n && memcmp(s[j]->hash, s[i]->hash, 32) == 0;
		     j++)
			;
		rc = dfs_catalog_blob_refs(cat, s[i]->hash, &refs);
		if (refs == j - i)
			s[j - 1]->freed = s[j - 1]->size;
	}
	free(s);
	return rc;
}

struct scan_ctx {
	struct dfs_catalog *cat;
	int64_t now_ms;
	struct plan *plan;
};

static int plan_each(void *arg, const struct dfs_entry *e)
{
	struct scan_ctx *c = arg;
	int rc = plan_project(c->cat, e->name, c->now_ms, c->plan);

	return rc < 0 && rc != -ENOENT ? rc : 0;
}

int dfs_retention_plan(struct dfs_store *st, const char *project,
		       int64_t now_ms, struct dfs_drop **drops, size_t *n)
{
	struct dfs_catalog *cat = dfs_store_catalog(st);
	struct plan plan = {NULL, 0, 0};
	struct scan_ctx c = {cat, now_ms, &plan};
	int rc;

	if (project && !dfs_name_is_project(project))
		return -EINVAL;
	if (project)
		rc = plan_project(cat, project, now_ms, &plan);
	else
		rc = dfs_catalog_scan(cat, DFS_SCAN_PROJECTS, NULL, 0,
				      plan_each, &c);
	if (!rc)
		rc = plan_freed(cat, &plan);
	if (rc) {
		free(plan.v);
		return rc;
	}
	*drops = plan.v;
	*n = plan.n;
	return 0;
}

int dfs_retention_apply(struct dfs_store *st, const char *project,
			const struct dfs_who *actor, uint64_t *freed,
			unsigned *dropped)
{
	struct dfs_drop *v;
	uint64_t total = 0, f;
	unsigned count = 0;
	size_t n;
	int rc;

	rc = dfs_retention_plan(st, project, dfs_time_now_ms(), &v, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = dfs_payload_drop(st, v[i].id, DFS_DROP_POLICY, actor, &f);
		if (rc == -EBUSY || rc == -ENOENT)
			rc = 0; /* it changed meanwhile: leave it */
		else if (!rc) {
			total += f;
			count++;
		}
	}
	free(v);
	if (freed)
		*freed = total;
	if (dropped)
		*dropped = count;
	return rc;
}

void dfs_retention_after_commit(struct dfs_store *st, const char *project)
{
	struct dfs_retention pol;
	struct dfs_who self;
	bool set;

	if (dfs_catalog_policy_get(dfs_store_catalog(st), project, &pol,
				   &set) != 0)
		return;
	if (!set && dfs_catalog_policy_get(dfs_store_catalog(st), NULL, &pol,
					   &set) != 0)
		return;
	if (!set)
		return;
	dfs_who_self(&self);
	dfs_retention_apply(st, project, &self, NULL, NULL);
}
