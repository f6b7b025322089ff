/* pg/lease — see lease.h. */
#include "pg_lease.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "pg_schema.h"

/*
 * The row may be inserted by another session between the two halves of
 * one statement's snapshot: the caller tries again once.
 */
static const struct dfs_pg_stmt node_id = {
	"dfs_lease_node",
	"WITH ins AS (INSERT INTO deployfs.nodes (name) VALUES ($1) "
	"ON CONFLICT (name) DO NOTHING RETURNING node_id) "
	"SELECT node_id FROM ins UNION ALL "
	"SELECT node_id FROM deployfs.nodes WHERE name = $1"};

static const struct dfs_pg_stmt try_lock = {
	"dfs_lease_try", "SELECT pg_try_advisory_lock($1, $2)"};

static const struct dfs_pg_stmt unlock = {"dfs_lease_unlock",
					  "SELECT pg_advisory_unlock($1, $2)"};

static const struct dfs_pg_stmt bump = {
	"dfs_lease_bump",
	"UPDATE deployfs.nodes SET epoch = epoch + 1, "
	"seen_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint "
	"WHERE node_id = $1 RETURNING epoch"};

static const struct dfs_pg_stmt get_epoch = {
	"dfs_lease_epoch",
	"SELECT epoch FROM deployfs.nodes WHERE node_id = $1"};

static int lookup(struct dfs_pg *pg, const char *name, int32_t *id)
{
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	for (int tries = 0; tries < 2; tries++) {
		dfs_pg_params_init(&p);
		dfs_pg_param_text(&p, name);
		rc = dfs_pg_exec(pg, &node_id, &p, &r);
		if (rc)
			return rc;
		if (PQntuples(r) > 0) {
			*id = dfs_pg_i32(r, 0, 0);
			PQclear(r);
			return 0;
		}
		PQclear(r);
	}
	return -EAGAIN;
}

int dfs_pg_lease_try(struct dfs_pg *pg, int32_t id, bool *got)
{
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, DFS_PG_LOCK_SPACE);
	dfs_pg_param_i32(&p, id);
	rc = dfs_pg_exec(pg, &try_lock, &p, &r);
	if (rc)
		return rc;
	*got = dfs_pg_bool(r, 0, 0);
	PQclear(r);
	return 0;
}

int dfs_pg_lease_drop(struct dfs_pg *pg, int32_t id)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, DFS_PG_LOCK_SPACE);
	dfs_pg_param_i32(&p, id);
	return dfs_pg_exec(pg, &unlock, &p, NULL);
}

int dfs_pg_lease_take(struct dfs_pg *pg, const char *name, int wait_ms,
		      struct dfs_pg_lease *out)
{
	struct dfs_pg_params p;
	struct dfs_pg_lease l;
	PGresult *r;
	bool got;
	int rc;

	if (!name[0])
		return -EINVAL;
	rc = lookup(pg, name, &l.node_id);
	if (rc)
		return rc;
	for (int waited = 0;; waited += 50) {
		rc = dfs_pg_lease_try(pg, l.node_id, &got);
		if (rc)
			return rc;
		if (got || waited >= wait_ms)
			break;
		nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
	}
	if (!got) {
		char msg[320];

		snprintf(msg, sizeof(msg),
			 "node '%s' is held by another daemon on this catalog",
			 name);
		dfs_pg_set_error(pg, msg);
		return -EBUSY;
	}
	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, l.node_id);
	rc = dfs_pg_exec(pg, &bump, &p, &r);
	if (rc) {
		dfs_pg_lease_drop(pg, l.node_id);
		return rc;
	}
	l.epoch = dfs_pg_i64(r, 0, 0);
	PQclear(r);
	*out = l;
	return 0;
}

int dfs_pg_lease_current(struct dfs_pg *pg, const struct dfs_pg_lease *l,
			 bool *current)
{
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, l->node_id);
	rc = dfs_pg_exec(pg, &get_epoch, &p, &r);
	if (rc)
		return rc;
	*current = PQntuples(r) == 1 && dfs_pg_i64(r, 0, 0) == l->epoch;
	PQclear(r);
	return 0;
}
