/* pg/audit — see audit.h. */
#include "pg_audit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct dfs_pg_stmt lock_head = {
	"dfs_audit_lock",
	"UPDATE deployfs.audit_head SET next_seq = next_seq + 1 WHERE one "
	"RETURNING next_seq - 1, end_off, "
	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint"};

static const struct dfs_pg_stmt put_line = {
	"dfs_audit_put",
	"WITH a AS (INSERT INTO deployfs.audit (off, seq, line) "
	"VALUES ($1, $2, $3)) "
	"UPDATE deployfs.audit_head SET end_off = $1 + length($3) WHERE one"};

static const struct dfs_pg_stmt get_size = {
	"dfs_audit_size", "SELECT end_off FROM deployfs.audit_head WHERE one"};

/* The line holding byte $1, then the following ones up to byte $1 + $2. */
static const struct dfs_pg_stmt get_lines = {
	"dfs_audit_lines",
	"SELECT off, line FROM deployfs.audit WHERE off >= "
	"(SELECT coalesce(max(off), 0) FROM deployfs.audit WHERE off <= $1) "
	"AND off < $1 + $2 ORDER BY off"};

int dfs_pg_audit_append(struct dfs_pg *pg, dfs_pg_line_fn make, void *arg,
			uint64_t *off)
{
	struct dfs_pg_params p;
	int64_t seq, end, now;
	PGresult *r;
	char *line;
	size_t len;
	int rc;

	if (!dfs_pg_in_txn(pg))
		return -EINVAL;
	rc = dfs_pg_exec(pg, &lock_head, NULL, &r);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -EIO;
	}
	seq = dfs_pg_i64(r, 0, 0);
	end = dfs_pg_i64(r, 0, 1);
	now = dfs_pg_i64(r, 0, 2);
	PQclear(r);
	rc = make(arg, (uint64_t)seq, now, &line, &len);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, end);
	dfs_pg_param_i64(&p, seq);
	dfs_pg_param_bytes(&p, line, len);
	rc = dfs_pg_exec(pg, &put_line, &p, NULL);
	free(line);
	if (!rc && off)
		*off = (uint64_t)end;
	return rc;
}

int dfs_pg_audit_size(struct dfs_pg *pg, uint64_t *size)
{
	PGresult *r;
	int rc;

	rc = dfs_pg_exec(pg, &get_size, NULL, &r);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -EIO;
	}
	*size = (uint64_t)dfs_pg_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

int dfs_pg_audit_read(struct dfs_pg *pg, uint64_t off, void *buf, size_t n,
		      size_t *got)
{
	struct dfs_pg_params p;
	size_t done = 0;
	PGresult *r;
	int rc;

	if (off > INT64_MAX || n > INT64_MAX - off)
		return -EINVAL;
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)off);
	dfs_pg_param_i64(&p, (int64_t)n);
	rc = dfs_pg_exec(pg, &get_lines, &p, &r);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && done < n; i++) {
		uint64_t start = (uint64_t)dfs_pg_i64(r, i, 0);
		uint64_t skip = off + done > start ? off + done - start : 0;
		size_t len, take;
		const char *line = dfs_pg_bytes(r, i, 1, &len);

		if (skip >= len)
			continue;
		take = len - skip;
		if (take > n - done)
			take = n - done;
		memcpy((char *)buf + done, line + skip, take);
		done += take;
	}
	PQclear(r);
	*got = done;
	return 0;
}
