/* pg/cat_misc — the audit trail's reads, retention policies, settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pg_audit.h"
#include "pgcat.h"

#define PAGE 256

static const struct dfs_pg_stmt events_from = {
	"dfs_cat_events",
	"SELECT off, line FROM deployfs.audit WHERE off >= $1 ORDER BY off "
	"LIMIT $2"};
static const struct dfs_pg_stmt policy_get = {
	"dfs_cat_policy_get",
	"SELECT keep_success, keep_days, max_bytes FROM deployfs.retention "
	"WHERE scope = $1"};
static const struct dfs_pg_stmt policy_put = {
	"dfs_cat_policy_put",
	"INSERT INTO deployfs.retention (scope, keep_success, keep_days, "
	"max_bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (scope) DO UPDATE SET "
	"keep_success = $2, keep_days = $3, max_bytes = $4"};
static const struct dfs_pg_stmt policy_del = {
	"dfs_cat_policy_del",
	"DELETE FROM deployfs.retention WHERE scope = $1"};
static const struct dfs_pg_stmt setting_get = {
	"dfs_cat_setting_get",
	"SELECT val FROM deployfs.settings WHERE key = $1"};
static const struct dfs_pg_stmt setting_put = {
	"dfs_cat_setting_put",
	"INSERT INTO deployfs.settings (key, val) VALUES ($1, $2) "
	"ON CONFLICT (key) DO UPDATE SET val = $2"};

int dfs_pgcat_audit_size(struct dfs_catalog *cat, uint64_t *size)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pg_audit_size(c->pg, size);
	dfs_pgcat_unlock(c);
	return rc;
}

int dfs_pgcat_audit_read(struct dfs_catalog *cat, uint64_t off, void *buf,
			 size_t n, size_t *got)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pg_audit_read(c->pg, off, buf, n, got);
	dfs_pgcat_unlock(c);
	return rc;
}

int dfs_pgcat_audit_scan(struct dfs_catalog *cat, uint64_t from,
			 int (*fn)(void *arg, const struct dfs_event *e),
			 void *arg)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	struct dfs_event e;
	int rc = 0, n = PAGE;

	while (!rc && n == PAGE) {
		PGresult *r;

		if (from > INT64_MAX)
			break;
		dfs_pg_params_init(&p);
		dfs_pg_param_i64(&p, (int64_t)from);
		dfs_pg_param_i64(&p, PAGE);
		dfs_pgcat_lock(c);
		rc = dfs_pg_exec(c->pg, &events_from, &p, &r);
		dfs_pgcat_unlock(c);
		if (rc)
			break;
		n = PQntuples(r);
		for (int i = 0; !rc && i < n; i++) {
			size_t len;
			const char *line = dfs_pg_bytes(r, i, 1, &len);
			uint64_t off = (uint64_t)dfs_pg_i64(r, i, 0);

			rc = dfs_audit_decode(off, line, len, &e);
			if (!rc)
				rc = fn(arg, &e);
			from = off + len;
		}
		PQclear(r);
	}
	return rc;
}

int dfs_pgcat_policy_get(struct dfs_catalog *cat, const char *project,
			 struct dfs_retention *pol, bool *set)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project ? project : "");
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &policy_get, &p, &r);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	memset(pol, 0, sizeof(*pol));
	*set = PQntuples(r) == 1;
	if (*set) {
		pol->keep_success = (uint64_t)dfs_pg_i64(r, 0, 0);
		pol->keep_days = (uint64_t)dfs_pg_i64(r, 0, 1);
		pol->max_bytes = (uint64_t)dfs_pg_i64(r, 0, 2);
	}
	PQclear(r);
	return 0;
}

int dfs_pgcat_policy_set(struct dfs_catalog *cat, const char *project,
			 const struct dfs_retention *pol)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	bool none = !pol->keep_success && !pol->keep_days && !pol->max_bytes;
	struct dfs_pg_params p;
	int rc;

	if (pol->keep_success > INT64_MAX || pol->keep_days > INT64_MAX ||
	    pol->max_bytes > INT64_MAX)
		return -EINVAL;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project ? project : "");
	if (!none) {
		dfs_pg_param_i64(&p, (int64_t)pol->keep_success);
		dfs_pg_param_i64(&p, (int64_t)pol->keep_days);
		dfs_pg_param_i64(&p, (int64_t)pol->max_bytes);
	}
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, none ? &policy_del : &policy_put, &p, NULL);
	dfs_pgcat_unlock(c);
	return rc;
}

int dfs_pgcat_setting_get(struct dfs_catalog *cat, const char *key, char **val)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	const char *v;
	PGresult *r;
	size_t len;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, key);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &setting_get, &p, &r);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -ENOENT;
	}
	v = dfs_pg_bytes(r, 0, 0, &len);
	*val = strndup(v, len);
	PQclear(r);
	return *val ? 0 : -ENOMEM;
}

int dfs_pgcat_setting_set(struct dfs_catalog *cat, const char *key,
			  const char *val)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, key);
	dfs_pg_param_text(&p, val);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &setting_put, &p, NULL);
	dfs_pgcat_unlock(c);
	return rc;
}
