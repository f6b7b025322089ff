/* pg/scan — see scan.h. */
#include "pg_scan.h"

#include <errno.h>
#include <string.h>

#define SEL "SELECT id, seq FROM deployfs.records WHERE "

/*
 * [scope][desc]. The position is a row comparison over the index's own
 * columns, and the order is the index's: only that index can serve the
 * query from its first row. "pseq = $1 AND id > $2 ORDER BY id" reads
 * the same but lets a generic plan (unknown $1, unknown LIMIT) walk the
 * primary key and filter by project, which at 10^6 records reads most of
 * the table for a small project (tests/pg/test_pg_scan.c checks plans).
 */
static const struct dfs_pg_stmt pages[4][2] = {
	{{"dfs_scan_all", SEL "id > $1 ORDER BY id LIMIT $2"},
	 {"dfs_scan_all_desc", SEL "id < $1 ORDER BY id DESC LIMIT $2"}},
	{{"dfs_scan_project", SEL "pseq = $1 AND (pseq, id) > ($1, $2) "
				  "ORDER BY pseq, id LIMIT $3"},
	 {"dfs_scan_project_desc", SEL "pseq = $1 AND (pseq, id) < ($1, $2) "
				       "ORDER BY pseq DESC, id DESC LIMIT $3"}},
	{{"dfs_scan_status", SEL "status = $1 AND (status, id) > ($1, $2) "
				 "ORDER BY status, id LIMIT $3"},
	 {"dfs_scan_status_desc",
	  SEL "status = $1 AND (status, id) < ($1, $2) "
	      "ORDER BY status DESC, id DESC LIMIT $3"}},
	{{"dfs_scan_pstatus",
	  SEL "pseq = $1 AND status = $2 AND (pseq, status, id) > ($1, $2, $3) "
	      "ORDER BY pseq, status, id LIMIT $4"},
	 {"dfs_scan_pstatus_desc",
	  SEL "pseq = $1 AND status = $2 AND (pseq, status, id) < ($1, $2, $3) "
	      "ORDER BY pseq DESC, status DESC, id DESC LIMIT $4"}},
};

const char *dfs_pg_scan_sql(enum dfs_pg_scope scope, bool desc)
{
	return pages[scope][desc].sql;
}

int dfs_pg_scan_page(struct dfs_pg *pg, enum dfs_pg_scope scope, int64_t key,
		     int64_t key2, const uint8_t *after, bool desc,
		     unsigned max, struct dfs_pg_row *rows, unsigned *n)
{
	uint8_t edge[16];
	struct dfs_pg_params p;
	PGresult *r;
	int rc, got;

	if ((unsigned)scope > DFS_PG_PROJECT_STATUS)
		return -EINVAL;
	/* No @after: before the smallest id, or after the greatest. */
	memset(edge, desc ? 0xff : 0, sizeof(edge));
	dfs_pg_params_init(&p);
	if (scope == DFS_PG_PROJECT || scope == DFS_PG_PROJECT_STATUS)
		dfs_pg_param_i64(&p, key);
	if (scope == DFS_PG_STATUS)
		dfs_pg_param_i32(&p, (int32_t)key);
	if (scope == DFS_PG_PROJECT_STATUS)
		dfs_pg_param_i32(&p, (int32_t)key2);
	dfs_pg_param_uuid(&p, after ? after : edge);
	dfs_pg_param_i64(&p, max);
	rc = dfs_pg_exec(pg, &pages[scope][desc], &p, &r);
	if (rc)
		return rc;
	got = PQntuples(r);
	for (int i = 0; i < got; i++) {
		rc = dfs_pg_uuid(r, i, 0, rows[i].id);
		if (rc)
			break;
		rows[i].seq = (uint64_t)dfs_pg_i64(r, i, 1);
	}
	PQclear(r);
	if (rc)
		return rc;
	*n = (unsigned)got;
	return 0;
}
