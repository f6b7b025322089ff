/* retention — see retention.h. */
#include "retention.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_impl.h"
#include "isotime.h"

static void policy_key(const char *project, char key[DFS_PROJECT_MAX + 16])
{
	if (project)
		snprintf(key, DFS_PROJECT_MAX + 16, "retention/%s", project);
	else
		snprintf(key, DFS_PROJECT_MAX + 16, "retention");
}

static bool policy_empty(const struct dfs_retention *p)
{
	return !p->keep_success && !p->keep_days && !p->max_bytes;
}

static int get_txn(struct dfs_store *st, MDB_txn *txn, const char *project,
		   struct dfs_retention *pol, bool *set)
{
	char key[DFS_PROJECT_MAX + 16];
	json_int_t ks = 0, kd = 0, mb = 0;
	MDB_val k, v;
	json_t *o;
	int rc;

	policy_key(project, key);
	k = dfs_catalog_sval(key);
	memset(pol, 0, sizeof(*pol));
	*set = false;
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return dfs_store_lmdb_err(rc);
	o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	rc = o && json_unpack(o, "{s:I, s:I, s:I}", "keep_success", &ks,
			      "keep_days", &kd, "max_bytes", &mb) == 0
		 ? 0
		 : -EBADMSG;
	json_decref(o);
	if (rc)
		return rc;
	pol->keep_success = (uint64_t)ks;
	pol->keep_days = (uint64_t)kd;
	pol->max_bytes = (uint64_t)mb;
	*set = true;
	return 0;
}

int dfs_retention_forget_txn(struct dfs_store *st, MDB_txn *txn,
			     const char *project)
{
	char key[DFS_PROJECT_MAX + 16];
	MDB_val k;
	int rc;

	policy_key(project, key);
	k = dfs_catalog_sval(key);
	rc = mdb_del(txn, st->meta, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : dfs_store_lmdb_err(rc);
}

int dfs_retention_get(struct dfs_store *st, const char *project,
		      struct dfs_retention *pol, bool *set)
{
	MDB_txn *txn;
	int rc;

	if (project && !dfs_name_is_project(project))
		return -EINVAL;
	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = get_txn(st, txn, project, pol, set);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_retention_set(struct dfs_store *st, const char *project,
		      const struct dfs_retention *pol)
{
	char key[DFS_PROJECT_MAX + 16], *s = NULL;
	MDB_val k, v;
	MDB_txn *txn;
	json_t *o;
	int rc;

	if (project && !dfs_name_is_project(project))
		return -EINVAL;
	policy_key(project, key);
	k = dfs_catalog_sval(key);
	if (!policy_empty(pol)) {
		o = json_pack("{s:I, s:I, s:I}", "keep_success",
			      (json_int_t)pol->keep_success, "keep_days",
			      (json_int_t)pol->keep_days, "max_bytes",
			      (json_int_t)pol->max_bytes);
		s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!s)
			return -ENOMEM;
	}
	rc = dfs_store_txn(st, true, &txn);
	if (rc)
		goto out;
	if (s) {
		v = dfs_catalog_sval(s);
		rc = mdb_put(txn, st->meta, &k, &v, 0);
	} else {
		rc = mdb_del(txn, st->meta, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	rc = dfs_store_lmdb_err(rc);
	if (rc)
		mdb_txn_abort(txn);
	else
		rc = dfs_store_commit(txn);
out:
	free(s);
	return rc;
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
	bool keep =
	    (p->has_current && memcmp(p->current, r->id, 16) == 0) || r->pinned;

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

/* A project's drops, newest first as the walk finds them, then reversed. */
static int plan_project(struct dfs_store *st, MDB_txn *txn, const char *name,
			int64_t now_ms, struct plan *plan)
{
	struct dfs_retention pol;
	struct dfs_project p;
	struct dfs_record r;
	uint64_t successes = 0, kept = 0;
	size_t first = plan->n;
	MDB_cursor *cur;
	MDB_val k, v;
	bool set;
	int rc, mrc;

	rc = get_txn(st, txn, name, &pol, &set);
	if (!rc && !set)
		rc = get_txn(st, txn, NULL, &pol, &set);
	if (!rc)
		rc = dfs_project_get_txn(st, txn, name, &p);
	if (rc || policy_empty(&pol))
		return rc;
	/* Only records holding a payload: the walk is as long as the kept. */
	rc = dfs_store_lmdb_err(mdb_cursor_open(txn, st->by_held, &cur));
	if (rc)
		return rc;
	k = dfs_catalog_sval(name);
	mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	if (mrc == 0)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP);
	for (; mrc == 0 && !rc;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV_DUP)) {
		rc = dfs_record_get_txn(st, txn, v.mv_data, &r);
		if (rc || r.status == DFS_STATUS_PENDING)
			continue;
		if (!keeps(&pol, &p, &r, now_ms, &successes, &kept) &&
		    r.has_hash && r.payload_blob_present)
			rc = plan_add(plan, &r);
	}
	mdb_cursor_close(cur);
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = dfs_store_lmdb_err(mrc);
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
static int plan_freed(struct dfs_store *st, MDB_txn *txn, struct plan *plan)
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
		MDB_val k = {32, s[i]->hash}, v;
		uint64_t refs = 0;

		for (j = i + 1;
		     j < plan->n && memcmp(s[j]->hash, s[i]->hash, 32) == 0;
		     j++)
			;
		rc = mdb_get(txn, st->blobs, &k, &v);
		if (rc == 0 && v.mv_size >= 8)
			memcpy(&refs, v.mv_data, 8);
		rc = rc == MDB_NOTFOUND ? 0 : dfs_store_lmdb_err(rc);
		if (refs == j - i)
			s[j - 1]->freed = s[j - 1]->size;
	}
	free(s);
	return rc;
}

struct scan_ctx {
	struct dfs_store *st;
	MDB_txn *txn;
	int64_t now_ms;
	struct plan *plan;
};

static int plan_each(void *arg, const struct dfs_entry *e)
{
	struct scan_ctx *c = arg;
	int rc = plan_project(c->st, c->txn, e->name, c->now_ms, c->plan);

	return rc < 0 ? rc : 0;
}

int dfs_retention_plan(struct dfs_store *st, const char *project,
		       int64_t now_ms, struct dfs_drop **drops, size_t *n)
{
	struct plan plan = {NULL, 0, 0};
	struct scan_ctx c = {st, NULL, now_ms, &plan};
	MDB_txn *txn;
	int rc;

	if (project && !dfs_name_is_project(project))
		return -EINVAL;
	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	c.txn = txn;
	if (project)
		rc = plan_project(st, txn, project, now_ms, &plan);
	else
		rc = dfs_catalog_scan_txn(st, txn, DFS_SCAN_PROJECTS, NULL, 0,
					  plan_each, &c);
	if (!rc)
		rc = plan_freed(st, txn, &plan);
	mdb_txn_abort(txn);
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
		rc = dfs_catalog_drop_by_policy(st, v[i].id, actor, &f);
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

	if (dfs_retention_get(st, project, &pol, &set) != 0)
		return;
	if (!set && dfs_retention_get(st, NULL, &pol, &set) != 0)
		return;
	if (!set)
		return;
	dfs_who_self(&self);
	dfs_retention_apply(st, project, &self, NULL, NULL);
}

int dfs_pin(struct dfs_store *st, const uint8_t id[16], bool on,
	    const struct dfs_who *actor)
{
	return dfs_catalog_set_pinned(st, id, on, actor);
}
