/*
 * pg/cat_list — dfs_catalog_scan and dfs_catalog_query on PostgreSQL.
 *
 * Listings go by keyset pages (scan.h): a page is read under the lock,
 * then handed to the callback without it, so a callback may call the
 * catalog. A listing is not one snapshot across pages, but every page
 * starts strictly after the last entry of the one before, so an entry
 * present for the whole walk is seen exactly once, in order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "pgcat.h"
#include "pg_scan.h"
#include "uuid7.h"

#define PAGE 256

static const struct dfs_pg_stmt seq_bound = {
	"dfs_cat_seq_bound", "SELECT next_seq FROM deployfs.clock WHERE one"};
static const struct dfs_pg_stmt id_upto_seq = {
	"dfs_cat_id_upto_seq",
	"SELECT id FROM deployfs.records WHERE seq <= $1 ORDER BY seq DESC "
	"LIMIT 1"};
static const struct dfs_pg_stmt project_name_of = {
	"dfs_cat_project_name_of",
	"SELECT name FROM deployfs.projects WHERE pseq = $1"};
static const struct dfs_pg_stmt project_page = {
	"dfs_cat_project_page",
	"SELECT pseq, name, hidden FROM deployfs.projects WHERE NOT removed "
	"AND "
	"name COLLATE \"C\" > $1 ORDER BY name COLLATE \"C\" LIMIT $2"};
static const struct dfs_pg_stmt held_page = {
	"dfs_cat_held_page",
	"SELECT id, seq FROM deployfs.records WHERE pseq = $1 AND held AND "
	"(pseq, id) < ($1, $2) ORDER BY pseq DESC, id DESC LIMIT $3"};

/*
 * Where a walk resumes after the record whose seq is @after: after the
 * greatest id with a seq up to @after (ids and seqs grow together, so a
 * removed @after still marks its place). *@has: false to start at the
 * beginning. -ENOENT when no seq @after was ever given.
 */
static int resume_after(struct dfs_pgcat *c, uint64_t after, uint8_t id[16],
			bool *has)
{
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	*has = false;
	if (after == 0)
		return 0;
	rc = dfs_pg_exec(c->pg, &seq_bound, NULL, &r);
	if (rc)
		return rc;
	rc = after < (uint64_t)dfs_pg_i64(r, 0, 0) ? 0 : -ENOENT;
	PQclear(r);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)after);
	rc = dfs_pg_exec(c->pg, &id_upto_seq, &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 1) {
		rc = dfs_pg_uuid(r, 0, 0, id);
		*has = rc == 0;
	}
	PQclear(r);
	return rc;
}

/* Hand a page to @fn without the lock. */
static int deliver(const struct dfs_pg_row *rows, unsigned n, dfs_scan_fn fn,
		   void *arg)
{
	struct dfs_entry e = {0};
	int rc;

	for (unsigned i = 0; i < n; i++) {
		memcpy(e.id, rows[i].id, 16);
		e.seq = rows[i].seq;
		rc = fn(arg, &e);
		if (rc)
			return rc;
	}
	return 0;
}

static int scan_records(struct dfs_pgcat *c, enum dfs_scan scope,
			const char *key, uint64_t after, dfs_scan_fn fn,
			void *arg, struct dfs_pg_row *rows)
{
	enum dfs_pg_scope ps = DFS_PG_ALL;
	enum dfs_status status;
	struct dfs_project p;
	uint8_t pos[16];
	int64_t k = 0;
	unsigned n = 0;
	bool has;
	int rc;

	if (scope == DFS_SCAN_STATUS) {
		if (dfs_status_parse(key, &status) != 0)
			return -EINVAL;
		ps = DFS_PG_STATUS;
		k = status;
	}
	dfs_pgcat_lock(c);
	rc = resume_after(c, after, pos, &has);
	if (!rc && scope == DFS_SCAN_PROJECT) {
		rc = dfs_pgcat_project_load(c, key, false, &p);
		ps = DFS_PG_PROJECT;
		k = (int64_t)p.pseq;
		if (rc == -ENOENT) {
			dfs_pgcat_unlock(c);
			return 0; /* no such project: nothing to list */
		}
	}
	dfs_pgcat_unlock(c);
	while (!rc) {
		dfs_pgcat_lock(c);
		rc = dfs_pg_scan_page(c->pg, ps, k, 0, has ? pos : NULL, false,
				      PAGE, rows, &n);
		dfs_pgcat_unlock(c);
		if (!rc)
			rc = deliver(rows, n, fn, arg);
		if (rc || n < PAGE)
			break;
		memcpy(pos, rows[n - 1].id, 16);
		has = true;
	}
	return rc;
}

static int scan_held(struct dfs_pgcat *c, const char *key, dfs_scan_fn fn,
		     void *arg, struct dfs_pg_row *rows)
{
	uint8_t pos[16];
	struct dfs_pg_params p;
	struct dfs_project pj;
	unsigned n;
	PGresult *r;
	int rc;

	memset(pos, 0xff, 16);
	dfs_pgcat_lock(c);
	rc = dfs_pgcat_project_load(c, key, false, &pj);
	dfs_pgcat_unlock(c);
	if (rc == -ENOENT)
		return 0;
	while (!rc) {
		dfs_pg_params_init(&p);
		dfs_pg_param_i64(&p, (int64_t)pj.pseq);
		dfs_pg_param_uuid(&p, pos);
		dfs_pg_param_i64(&p, PAGE);
		dfs_pgcat_lock(c);
		rc = dfs_pg_exec(c->pg, &held_page, &p, &r);
		dfs_pgcat_unlock(c);
		if (rc)
			break;
		n = (unsigned)PQntuples(r);
		for (unsigned i = 0; !rc && i < n; i++) {
			rc = dfs_pg_uuid(r, (int)i, 0, rows[i].id);
			rows[i].seq = (uint64_t)dfs_pg_i64(r, (int)i, 1);
		}
		PQclear(r);
		if (!rc)
			rc = deliver(rows, n, fn, arg);
		if (rc || n < PAGE)
			break;
		memcpy(pos, rows[n - 1].id, 16);
	}
	return rc;
}

static int scan_projects(struct dfs_pgcat *c, uint64_t after, dfs_scan_fn fn,
			 void *arg)
{
	char name[DFS_PROJECT_MAX + 1] = "";
	struct dfs_pg_params p;
	struct dfs_entry e = {0};
	PGresult *r;
	size_t len;
	int rc = 0, n;

	if (after) {
		dfs_pg_params_init(&p);
		dfs_pg_param_i64(&p, (int64_t)after);
		dfs_pgcat_lock(c);
		rc = after > INT64_MAX
			     ? -ENOENT
			     : dfs_pg_exec(c->pg, &project_name_of, &p, &r);
		dfs_pgcat_unlock(c);
		if (rc)
			return rc;
		rc = PQntuples(r) == 1 ? 0 : -ENOENT;
		if (!rc) {
			const char *s = dfs_pg_bytes(r, 0, 0, &len);

			rc = len <= DFS_PROJECT_MAX ? 0 : -EBADMSG;
			if (!rc)
				memcpy(name, s, len), name[len] = '\0';
		}
		PQclear(r);
	}
	while (!rc) {
		dfs_pg_params_init(&p);
		dfs_pg_param_text(&p, name);
		dfs_pg_param_i64(&p, PAGE);
		dfs_pgcat_lock(c);
		rc = dfs_pg_exec(c->pg, &project_page, &p, &r);
		dfs_pgcat_unlock(c);
		if (rc)
			break;
		n = PQntuples(r);
		for (int i = 0; !rc && i < n; i++) {
			const char *s = dfs_pg_bytes(r, i, 1, &len);

			if (len > DFS_PROJECT_MAX) {
				rc = -EBADMSG;
				break;
			}
			memcpy(name, s, len);
			name[len] = '\0';
			e.seq = (uint64_t)dfs_pg_i64(r, i, 0);
			e.hidden = dfs_pg_bool(r, i, 2);
			e.name = name;
			rc = fn(arg, &e);
		}
		PQclear(r);
		if (rc || n < PAGE)
			break;
	}
	return rc;
}

int dfs_pgcat_scan(struct dfs_catalog *cat, enum dfs_scan scope,
		   const char *key, uint64_t after, dfs_scan_fn fn, void *arg)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_row *rows;
	int rc;

	if (scope == DFS_SCAN_PROJECTS)
		return scan_projects(c, after, fn, arg);
	if (scope != DFS_SCAN_ALL && scope != DFS_SCAN_PROJECT &&
	    scope != DFS_SCAN_STATUS && scope != DFS_SCAN_HELD)
		return -EINVAL;
	rows = malloc(PAGE * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	if (scope == DFS_SCAN_HELD)
		rc = scan_held(c, key, fn, arg, rows);
	else
		rc = scan_records(c, scope, key, after, fn, arg, rows);
	free(rows);
	return rc;
}
