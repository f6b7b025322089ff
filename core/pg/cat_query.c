/*
 * pg/cat_query — dfs_catalog_query: pages of records newest first, from
 * the index the filters choose, the total from the counts table (or an
 * index range count under a time filter).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "pgcat.h"
#include "uuid7.h"

#define PAGE 64

#define BODY "SELECT id, body FROM deployfs.records WHERE "
#define CNT  "SELECT count(*) FROM deployfs.records WHERE "

/* [scope]: all, project, status, project and status; $lo <= id < $hi. */
static const struct dfs_pg_stmt pages[4] = {
	{"dfs_q_all", BODY "id >= $1 AND id < $2 ORDER BY id DESC "
			   "LIMIT $3 OFFSET $4"},
	{"dfs_q_project", BODY "pseq = $1 AND (pseq, id) >= ($1, $2) AND "
			       "(pseq, id) < ($1, $3) ORDER BY pseq DESC, id "
			       "DESC LIMIT $4 OFFSET $5"},
	{"dfs_q_status",
	 BODY "status = $1 AND (status, id) >= ($1, $2) AND "
	      "(status, id) < ($1, $3) ORDER BY status DESC, id "
	      "DESC LIMIT $4 OFFSET $5"},
	{"dfs_q_pstatus", BODY
	 "pseq = $1 AND status = $2 AND (pseq, status, id) >= ($1, $2, $3) "
	 "AND (pseq, status, id) < ($1, $2, $4) ORDER BY pseq DESC, status "
	 "DESC, id DESC LIMIT $5 OFFSET $6"},
};

static const struct dfs_pg_stmt counts_in[4] = {
	{"dfs_qc_all", CNT "id >= $1 AND id < $2"},
	{"dfs_qc_project", CNT "pseq = $1 AND (pseq, id) >= ($1, $2) AND "
			       "(pseq, id) < ($1, $3)"},
	{"dfs_qc_status", CNT "status = $1 AND (status, id) >= ($1, $2) AND "
			      "(status, id) < ($1, $3)"},
	{"dfs_qc_pstatus",
	 CNT "pseq = $1 AND status = $2 AND (pseq, status, id) >= ($1, $2, $3) "
	     "AND (pseq, status, id) < ($1, $2, $4)"},
};

static const struct dfs_pg_stmt counted = {
	"dfs_qc_counts",
	"SELECT coalesce(sum(n), 0)::bigint FROM deployfs.counts WHERE "
	"pseq = $1 AND ($2 < 0 OR status = $2)"};

struct bounds {
	int scope; /* index into pages[] */
	int64_t pseq;
	int32_t status;
	uint8_t lo[16], hi[16];
	bool ranged;
};

static void params(struct dfs_pg_params *p, const struct bounds *b,
		   const uint8_t *hi)
{
	dfs_pg_params_init(p);
	if (b->scope == 1 || b->scope == 3)
		dfs_pg_param_i64(p, b->pseq);
	if (b->scope == 2 || b->scope == 3)
		dfs_pg_param_i32(p, b->status);
	dfs_pg_param_uuid(p, b->lo);
	dfs_pg_param_uuid(p, hi);
}

static int total_of(struct dfs_pgcat *c, const struct bounds *b,
		    uint64_t *total)
{
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	if (b->ranged) {
		params(&p, b, b->hi);
		rc = dfs_pg_exec(c->pg, &counts_in[b->scope], &p, &r);
	} else {
		dfs_pg_params_init(&p);
		dfs_pg_param_i64(&p, b->pseq);
		dfs_pg_param_i32(&p, b->scope >= 2 ? b->status : -1);
		rc = dfs_pg_exec(c->pg, &counted, &p, &r);
	}
	if (rc)
		return rc;
	*total = (uint64_t)dfs_pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int set_bounds(struct dfs_pgcat *c, const struct dfs_query *q,
		      struct bounds *b)
{
	struct dfs_project pj;
	int rc;

	memset(b, 0, sizeof(*b));
	memset(b->hi, 0xff, 16);
	if (q->project) {
		rc = dfs_pgcat_project_load(c, q->project, false, &pj);
		if (rc)
			return rc;
		b->pseq = (int64_t)pj.pseq;
		b->scope = 1;
	}
	if (q->has_status) {
		b->status = (int32_t)q->status;
		b->scope = q->project ? 3 : 2;
	}
	if (q->since_ms != DFS_TIME_NONE && q->since_ms >= 0) {
		dfs_uuid7_floor((uint64_t)q->since_ms, b->lo);
		b->lo[6] = 0; /* below every version-7 id of that ms */
		b->ranged = true;
	}
	if (q->until_ms != DFS_TIME_NONE && q->until_ms >= 0) {
		dfs_uuid7_floor((uint64_t)q->until_ms + 1, b->hi);
		b->hi[6] = 0;
		b->ranged = true;
	}
	return 0;
}

int dfs_pgcat_query(struct dfs_catalog *cat, const struct dfs_query *q,
		    int (*fn)(void *arg, const struct dfs_record *rec),
		    void *arg, uint64_t *total)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	uint64_t left = q->limit ? q->limit : UINT64_MAX;
	uint64_t offset = q->offset;
	struct dfs_pg_params p;
	struct dfs_record *recs;
	struct bounds b;
	uint8_t hi[16];
	int rc, n = 0;

	recs = malloc(PAGE * sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	dfs_pgcat_lock(c);
	rc = set_bounds(c, q, &b);
	if (rc == -ENOENT) { /* no such project: no match */
		dfs_pgcat_unlock(c);
		free(recs);
		if (total)
			*total = 0;
		return 0;
	}
	if (!rc && total)
		rc = total_of(c, &b, total);
	dfs_pgcat_unlock(c);
	memcpy(hi, b.hi, 16);
	while (!rc && left > 0) {
		PGresult *r;
		int64_t want = left < PAGE ? (int64_t)left : PAGE;

		params(&p, &b, hi);
		dfs_pg_param_i64(&p, want);
		dfs_pg_param_i64(&p, offset > INT64_MAX ? INT64_MAX
							: (int64_t)offset);
		dfs_pgcat_lock(c);
		rc = dfs_pg_exec(c->pg, &pages[b.scope], &p, &r);
		dfs_pgcat_unlock(c);
		if (rc)
			break;
		n = PQntuples(r);
		for (int i = 0; !rc && i < n; i++) {
			size_t len;
			const char *body = dfs_pg_bytes(r, i, 1, &len);

			rc = dfs_record_decode(body, len, &recs[i]);
		}
		if (!rc && n > 0)
			rc = dfs_pg_uuid(r, n - 1, 0, hi);
		PQclear(r);
		offset = 0;
		for (int i = 0; !rc && i < n; i++)
			rc = fn(arg, &recs[i]);
		left -= (uint64_t)n;
		if (n < want)
			break;
	}
	free(recs);
	return rc;
}
