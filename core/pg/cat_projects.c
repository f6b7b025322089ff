/* pg/cat_projects — projects in the PostgreSQL catalog (see pgcat.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_plan.h"
#include "isotime.h"
#include "pgcat.h"

#define COLS "pseq, name, uid, gid, mode, created_ms, ctime_ms, hidden, current"

static const struct dfs_pg_stmt load = {
	"dfs_cat_project",
	"SELECT " COLS
	" FROM deployfs.projects WHERE name = $1 AND NOT removed"};
static const struct dfs_pg_stmt load_locked = {
	"dfs_cat_project_locked",
	"SELECT " COLS
	" FROM deployfs.projects WHERE name = $1 AND NOT removed "
	"FOR UPDATE"};
static const struct dfs_pg_stmt load_seq = {
	"dfs_cat_project_seq",
	"SELECT " COLS
	" FROM deployfs.projects WHERE pseq = $1 AND NOT removed"};
static const struct dfs_pg_stmt insert = {
	"dfs_cat_project_insert",
	"INSERT INTO deployfs.projects (name, uid, gid, mode, created_ms, "
	"ctime_ms) VALUES ($1, $2, $3, $4, $5, $5) RETURNING pseq"};
static const struct dfs_pg_stmt store = {
	"dfs_cat_project_store",
	"UPDATE deployfs.projects SET uid = $2, gid = $3, mode = $4, "
	"ctime_ms = $5, hidden = $6, current = $7 WHERE pseq = $1"};
static const struct dfs_pg_stmt counts = {
	"dfs_cat_project_counts",
	"SELECT status, n FROM deployfs.counts WHERE pseq = $1"};
static const struct dfs_pg_stmt first_ids = {
	"dfs_cat_project_ids",
	"SELECT id FROM deployfs.records WHERE pseq = $1 AND (pseq, id) >= "
	"($1, '00000000-0000-0000-0000-000000000000') ORDER BY pseq, id "
	"LIMIT 512"};
static const struct dfs_pg_stmt mark_removed = {
	"dfs_cat_project_removed",
	"UPDATE deployfs.projects SET removed = true, current = NULL "
	"WHERE pseq = $1"};
static const struct dfs_pg_stmt forget_policy = {
	"dfs_cat_policy_forget",
	"DELETE FROM deployfs.retention WHERE scope = $1"};

static int decode(PGresult *r, struct dfs_project *p)
{
	struct dfs_project n = {0};
	const char *name;
	size_t len;

	n.pseq = (uint64_t)dfs_pg_i64(r, 0, 0);
	name = dfs_pg_bytes(r, 0, 1, &len);
	if (len > DFS_PROJECT_MAX)
		return -EBADMSG;
	memcpy(n.name, name, len);
	n.uid = (uint32_t)dfs_pg_i64(r, 0, 2);
	n.gid = (uint32_t)dfs_pg_i64(r, 0, 3);
	n.mode = (uint32_t)dfs_pg_i32(r, 0, 4);
	n.created_ms = dfs_pg_i64(r, 0, 5);
	n.ctime_ms = dfs_pg_i64(r, 0, 6);
	n.hidden = dfs_pg_bool(r, 0, 7);
	n.has_current = dfs_pg_uuid(r, 0, 8, n.current) == 0;
	*p = n;
	return 0;
}

static int load_one(struct dfs_pgcat *c, const struct dfs_pg_stmt *st,
		    const struct dfs_pg_params *prm, struct dfs_project *p)
{
	PGresult *r;
	int rc;

	rc = dfs_pg_exec(c->pg, st, prm, &r);
	if (rc)
		return rc;
	rc = PQntuples(r) == 1 ? decode(r, p) : -ENOENT;
	PQclear(r);
	return rc;
}

int dfs_pgcat_project_load(struct dfs_pgcat *c, const char *name, bool lock,
			   struct dfs_project *p)
{
	struct dfs_pg_params prm;

	dfs_pg_params_init(&prm);
	dfs_pg_param_text(&prm, name);
	return load_one(c, lock ? &load_locked : &load, &prm, p);
}

int dfs_pgcat_project_store(struct dfs_pgcat *c, const struct dfs_project *p)
{
	struct dfs_pg_params prm;

	dfs_pg_params_init(&prm);
	dfs_pg_param_i64(&prm, (int64_t)p->pseq);
	dfs_pg_param_i64(&prm, p->uid);
	dfs_pg_param_i64(&prm, p->gid);
	dfs_pg_param_i32(&prm, (int32_t)p->mode);
	dfs_pg_param_i64(&prm, p->ctime_ms);
	dfs_pg_param_bool(&prm, p->hidden);
	dfs_pg_param_uuid(&prm, p->has_current ? p->current : NULL);
	return dfs_pg_exec(c->pg, &store, &prm, NULL);
}

int dfs_pgcat_project_ensure(struct dfs_pgcat *c, const char *name,
			     const struct dfs_project_attr *attr,
			     struct dfs_project *p)
{
	struct dfs_pg_params prm;
	struct dfs_project np;
	PGresult *r;
	int rc;

	rc = dfs_pgcat_project_load(c, name, true, p);
	if (rc == 0 && p->hidden) {
		p->hidden = false;
		return dfs_pgcat_project_store(c, p);
	}
	if (rc != -ENOENT)
		return rc;
	dfs_catalog_plan_new_project(&np, name, attr, dfs_time_now_ms());
	dfs_pg_params_init(&prm);
	dfs_pg_param_text(&prm, name);
	dfs_pg_param_i64(&prm, np.uid);
	dfs_pg_param_i64(&prm, np.gid);
	dfs_pg_param_i32(&prm, (int32_t)np.mode);
	dfs_pg_param_i64(&prm, np.created_ms);
	rc = dfs_pg_exec(c->pg, &insert, &prm, &r);
	if (rc)
		return rc;
	np.pseq = (uint64_t)dfs_pg_i64(r, 0, 0);
	PQclear(r);
	*p = np;
	return 0;
}

int dfs_pgcat_project_get(struct dfs_catalog *cat, const char *name,
			  struct dfs_project *p)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pgcat_project_load(c, name, false, p);
	dfs_pgcat_unlock(c);
	return rc;
}

int dfs_pgcat_project_get_seq(struct dfs_catalog *cat, uint64_t pseq,
			      struct dfs_project *p)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params prm;
	int rc;

	if (pseq > INT64_MAX)
		return -ENOENT;
	dfs_pg_params_init(&prm);
	dfs_pg_param_i64(&prm, (int64_t)pseq);
	dfs_pgcat_lock(c);
	rc = load_one(c, &load_seq, &prm, p);
	dfs_pgcat_unlock(c);
	return rc;
}

static int count_txn(struct dfs_pgcat *c, uint64_t pseq,
		     struct dfs_project_counts *out)
{
	struct dfs_project_counts n = {0};
	struct dfs_pg_params prm;
	PGresult *r;
	int rc;

	dfs_pg_params_init(&prm);
	dfs_pg_param_i64(&prm, (int64_t)pseq);
	rc = dfs_pg_exec(c->pg, &counts, &prm, &r);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		int16_t s = dfs_pg_i16(r, i, 0);
		uint64_t v = (uint64_t)dfs_pg_i64(r, i, 1);

		if (s == DFS_STATUS_PENDING)
			n.pending = v;
		else if (s == DFS_STATUS_SUCCESS)
			n.success = v;
		else if (s == DFS_STATUS_FAILED)
			n.failed = v;
	}
	PQclear(r);
	n.total = n.pending + n.success + n.failed;
	*out = n;
	return 0;
}

int dfs_pgcat_project_count(struct dfs_catalog *cat, const char *name,
			    struct dfs_project_counts *out)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_project p;
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pgcat_project_load(c, name, false, &p);
	if (!rc)
		rc = count_txn(c, p.pseq, out);
	dfs_pgcat_unlock(c);
	return rc;
}

int dfs_pgcat_project_set_attr(struct dfs_catalog *cat, const char *name,
			       const struct dfs_project_attr *attr)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_project p;
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_project_load(c, name, true, &p);
	if (!rc) {
		dfs_catalog_plan_attr(&p, attr, dfs_time_now_ms());
		rc = dfs_pgcat_project_store(c, &p);
	}
	return dfs_pgcat_end(c, rc);
}

int dfs_pgcat_project_hide(struct dfs_catalog *cat, const char *name)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_project p;
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_project_load(c, name, true, &p);
	if (!rc)
		rc = dfs_catalog_plan_hide(&p);
	if (!rc)
		rc = dfs_pgcat_project_store(c, &p);
	return dfs_pgcat_end(c, rc);
}

static int may_remove(struct dfs_pgcat *c, struct dfs_removal *rm,
		      const struct dfs_project *p)
{
	struct dfs_project_counts n;
	int rc;

	rc = count_txn(c, p->pseq, &n);
	return rc ? rc : dfs_catalog_plan_remove(rm->actor, p, &n, rm->force);
}

/* first_ids takes a batch's worth. */
_Static_assert(DFS_REMOVE_BATCH == 512, "first_ids says LIMIT 512");

static int collect_ids(struct dfs_pgcat *c, struct dfs_removal *rm,
		       uint64_t pseq)
{
	struct dfs_pg_params prm;
	PGresult *r;
	int rc;

	dfs_pg_params_init(&prm);
	dfs_pg_param_i64(&prm, (int64_t)pseq);
	rc = dfs_pg_exec(c->pg, &first_ids, &prm, &r);
	if (rc)
		return rc;
	rm->n = 0;
	for (int i = 0; !rc && i < PQntuples(r); i++)
		rc = dfs_pg_uuid(r, i, 0, rm->ids[rm->n++]);
	PQclear(r);
	return rc;
}

static int delete_one(void *ctx, const uint8_t id[16], struct dfs_record *old,
		      bool *last_ref)
{
	return dfs_pgcat_delete_txn(ctx, id, old, last_ref);
}

int dfs_pgcat_project_remove_batch(struct dfs_catalog *cat,
				   struct dfs_removal *rm)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params prm;
	struct dfs_project p;
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_project_load(c, rm->name, true, &p);
	if (!rc)
		rc = may_remove(c, rm, &p);
	if (!rc)
		rc = collect_ids(c, rm, p.pseq);
	if (!rc)
		rc = dfs_removal_delete(rm, delete_one, c);
	dfs_pg_params_init(&prm);
	dfs_pg_param_i64(&prm, (int64_t)p.pseq);
	if (!rc && rm->done) {
		rc = dfs_pg_exec(c->pg, &mark_removed, &prm, NULL);
		dfs_pg_params_init(&prm);
		dfs_pg_param_text(&prm, rm->name);
		if (!rc)
			rc = dfs_pg_exec(c->pg, &forget_policy, &prm, NULL);
		if (!rc)
			rc = dfs_pgcat_project_event(
				c, rm->name, "project_removed",
				rm->removed + rm->n, rm->actor);
	} else if (!rc && p.has_current) {
		p.has_current = false;
		rc = dfs_pgcat_project_store(c, &p);
	}
	return dfs_pgcat_end(c, rc);
}
