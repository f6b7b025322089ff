/* pg/cat_lookup — finding records by version, id prefix, newest. */
#include <errno.h>
#include <string.h>

#include "pgcat.h"

static const struct dfs_pg_stmt by_version = {
	"dfs_cat_by_version",
	"SELECT r.id, r.seq FROM deployfs.projects p JOIN deployfs.records r "
	"ON r.pseq = p.pseq AND r.version = $2 WHERE p.name = $1 AND NOT "
	"p.removed"};

static const struct dfs_pg_stmt by_prefix = {
	"dfs_cat_by_prefix",
	"SELECT id FROM deployfs.records WHERE id >= $1 AND id <= $2 "
	"ORDER BY id LIMIT 2"};

static const struct dfs_pg_stmt newest = {
	"dfs_cat_newest",
	"SELECT id FROM deployfs.records WHERE pseq = $1 AND (pseq, id) <= "
	"($1, $2) ORDER BY pseq DESC, id DESC LIMIT 1"};

static const struct dfs_pg_stmt refs_of = {
	"dfs_cat_refs", "SELECT refs FROM deployfs.blob_refs WHERE hash = $1"};

int dfs_pgcat_find_version(struct dfs_catalog *cat, const char *project,
			   uint64_t version, uint8_t id[16], uint64_t *seq)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	if (version > INT64_MAX)
		return -ENOENT;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project);
	dfs_pg_param_i64(&p, (int64_t)version);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &by_version, &p, &r);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	rc = PQntuples(r) == 1 ? dfs_pg_uuid(r, 0, 0, id) : -ENOENT;
	if (!rc && seq)
		*seq = (uint64_t)dfs_pg_i64(r, 0, 1);
	PQclear(r);
	return rc;
}

int dfs_pgcat_find_prefix(struct dfs_catalog *cat, const uint8_t lo[16],
			  unsigned nibbles, uint8_t id[16])
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	uint8_t hi[16];
	PGresult *r;
	int rc;

	/* The greatest id with the same first @nibbles digits. */
	memcpy(hi, lo, 16);
	for (unsigned i = nibbles; i < 32; i++)
		hi[i / 2] |= i % 2 ? 0x0f : 0xf0;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, lo);
	dfs_pg_param_uuid(&p, hi);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &by_prefix, &p, &r);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = -ENOENT;
	else if (PQntuples(r) > 1)
		rc = -ENOTUNIQ;
	else
		rc = dfs_pg_uuid(r, 0, 0, id);
	PQclear(r);
	return rc;
}

int dfs_pgcat_latest(struct dfs_catalog *cat, const char *project,
		     uint8_t id[16])
{
	static const uint8_t top[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff};
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	struct dfs_project pj = {0};
	PGresult *r;
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pgcat_project_load(c, project, false, &pj);
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)pj.pseq);
	dfs_pg_param_uuid(&p, top);
	if (!rc)
		rc = dfs_pg_exec(c->pg, &newest, &p, &r);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	rc = PQntuples(r) == 1 ? dfs_pg_uuid(r, 0, 0, id) : -ENOENT;
	PQclear(r);
	return rc;
}

int dfs_pgcat_blob_refs(struct dfs_catalog *cat, const uint8_t hash[32],
			uint64_t *refs)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_bytes(&p, hash, 32);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &refs_of, &p, &r);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	*refs = PQntuples(r) == 1 ? (uint64_t)dfs_pg_i64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}
