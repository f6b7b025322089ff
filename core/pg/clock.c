/* pg/clock — see clock.h. */
#include "pg_clock.h"

#include <errno.h>
#include <string.h>

#include "uuid7.h"

static const struct dfs_pg_stmt lock_clock = {
	"dfs_clock_lock",
	"SELECT last_id, next_seq, "
	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint "
	"FROM deployfs.clock WHERE one FOR UPDATE"};

static const struct dfs_pg_stmt advance = {
	"dfs_clock_advance",
	"UPDATE deployfs.clock SET last_id = $1, next_seq = next_seq + 1 "
	"WHERE one"};

int dfs_pg_clock_next(struct dfs_pg *pg, uint8_t id[16], uint64_t *seq)
{
	return dfs_pg_clock_next_at(pg, -1, id, seq);
}

int dfs_pg_clock_next_at(struct dfs_pg *pg, int64_t at_ms, uint8_t id[16],
			 uint64_t *seq)
{
	struct dfs_pg_params p;
	uint8_t last[16], next[16];
	bool has_last;
	uint64_t s;
	int64_t now;
	PGresult *r;
	int rc;

	if (!dfs_pg_in_txn(pg))
		return -EINVAL;
	rc = dfs_pg_exec(pg, &lock_clock, NULL, &r);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -EIO;
	}
	has_last = dfs_pg_uuid(r, 0, 0, last) == 0;
	s = (uint64_t)dfs_pg_i64(r, 0, 1);
	now = at_ms >= 0 ? at_ms : dfs_pg_i64(r, 0, 2);
	PQclear(r);
	dfs_uuid7_next(has_last ? last : NULL, now > 0 ? (uint64_t)now : 0,
		       next);
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, next);
	rc = dfs_pg_exec(pg, &advance, &p, NULL);
	if (rc)
		return rc;
	memcpy(id, next, 16);
	*seq = s;
	return 0;
}
