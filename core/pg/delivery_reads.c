/*
 * pg/delivery_reads — fleet delivery in the catalog, what anyone reads:
 * a deployment's deliveries, their counts and logs, and a project's
 * fleet view (see delivery_pg.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "delivery_pg.h"
#include "pg_deliveries.h"
#include "pgcat.h"

#define COLS DFS_PG_DELIVERY_COLS

static const struct dfs_pg_stmt get_one = {
	"dfs_dl_get",
	"SELECT " COLS " FROM deployfs.deliveries WHERE id = $1 AND node = $2"};
static const struct dfs_pg_stmt log_get = {
	"dfs_dl_log_get",
	"SELECT off, data FROM deployfs.delivery_log WHERE id = $1 AND node = "
	"$2 AND off + length(data) > $3 ORDER BY off LIMIT 64"};
static const struct dfs_pg_stmt list_of = {
	"dfs_dl_list", "SELECT " COLS " FROM deployfs.deliveries WHERE id = $1 "
		       "ORDER BY node"};
static const struct dfs_pg_stmt counts_of = {
	"dfs_dl_counts", "SELECT status, count(*) FROM deployfs.deliveries "
			 "WHERE id = $1 GROUP BY status"};
static const struct dfs_pg_stmt fleet_nodes = {
	"dfs_dl_fleet_nodes",
	"SELECT node, bool_or(f) FROM (SELECT node, true AS f FROM "
	"deployfs.follows WHERE project = $1 OR project = '*' UNION ALL SELECT "
	"DISTINCT node, false FROM deployfs.deliveries WHERE pseq = $2) n "
	"GROUP BY node ORDER BY node"};
static const struct dfs_pg_stmt last_success = {
	"dfs_dl_last_success",
	"SELECT " COLS
	" FROM deployfs.deliveries WHERE node = $1 AND pseq = $2 "
	"AND status = 1 ORDER BY id DESC LIMIT 1"};
static const struct dfs_pg_stmt latest_of = {
	"dfs_dl_latest",
	"SELECT " COLS
	" FROM deployfs.deliveries WHERE node = $1 AND pseq = $2 "
	"AND status <> 3 ORDER BY id DESC LIMIT 1"};

int dfs_delivery_pg_get(struct dfs_catalog *cat, const uint8_t id[16],
			const char *node, struct dfs_delivery *d)
{
	struct dfs_pg_params p;
	struct dfs_delivery got;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_text(&p, node);
	rc = dfs_pg_delivery_query_one(cat, &get_one, &p, -ENOENT,
				       dfs_pg_delivery_at, &got);
	if (!rc)
		*d = got;
	return rc;
}

struct delivery_fn {
	int (*fn)(void *arg, const struct dfs_delivery *d);
	void *arg;
};

static int delivery_to_fn(void *arg, const PGresult *r, int row)
{
	struct delivery_fn *f = arg;
	struct dfs_delivery d;
	int rc;

	rc = dfs_pg_delivery_row(r, row, &d);
	return rc ? rc : f->fn(f->arg, &d);
}

int dfs_delivery_pg_list(struct dfs_catalog *cat, const uint8_t id[16],
			 int (*fn)(void *arg, const struct dfs_delivery *d),
			 void *arg)
{
	struct delivery_fn f = {fn, arg};
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	return dfs_pg_delivery_query(cat, &list_of, &p, delivery_to_fn, &f);
}

/* A row (status, count) into the counts @n. */
static int count_at(void *arg, const PGresult *r, int row)
{
	struct dfs_delivery_counts *n = arg;
	uint64_t k = (uint64_t)dfs_pg_i64(r, row, 1);

	switch (dfs_pg_i16(r, row, 0)) {
	case DFS_DELIVERY_PENDING:
		n->pending = k;
		break;
	case DFS_DELIVERY_SUCCESS:
		n->success = k;
		break;
	case DFS_DELIVERY_FAILED:
		n->failed = k;
		break;
	case DFS_DELIVERY_SUPERSEDED:
		n->superseded = k;
		break;
	default:
		n->interrupted = k;
	}
	return 0;
}

int dfs_delivery_pg_counts(struct dfs_catalog *cat, const uint8_t id[16],
			   struct dfs_delivery_counts *counts)
{
	struct dfs_delivery_counts n = {0};
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	int rc;

	rc = dfs_pg_delivery_cat(cat, false, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	rc = dfs_pg_query(c->pg, &c->lock, &counts_of, &p, count_at, &n, NULL);
	if (!rc && c->known)
		dfs_pg_known_counts(c->known, id, &n);
	if (dfs_pgcat_offline(c, rc))
		rc = dfs_pg_known_counts_get(c->known, id, &n) ? -EIO : 0;
	if (!rc)
		*counts = n;
	return rc;
}

/* Bytes of the log from @off on, gathered from its chunks into @buf. */
struct log_read {
	uint64_t off;
	char *buf;
	size_t n, done;
	bool gap;
};

static int log_chunk_at(void *arg, const PGresult *r, int row)
{
	struct log_read *l = arg;
	uint64_t at = (uint64_t)dfs_pg_i64(r, row, 0);
	size_t len, skip, take;
	const char *data = dfs_pg_bytes(r, row, 1, &len);

	if (l->gap || l->done >= l->n)
		return 0;
	if (at > l->off + l->done) {
		l->gap = true; /* never, as chunks are gapless */
		return 0;
	}
	skip = (size_t)(l->off + l->done - at);
	if (skip >= len)
		return 0;
	take = len - skip < l->n - l->done ? len - skip : l->n - l->done;
	memcpy(l->buf + l->done, data + skip, take);
	l->done += take;
	return 0;
}

int dfs_delivery_pg_log_read(struct dfs_catalog *cat, const uint8_t id[16],
			     const char *node, uint64_t off, void *buf,
			     size_t n, size_t *got)
{
	struct log_read l = {off, buf, n, 0, false};
	struct dfs_pg_params p;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_text(&p, node);
	dfs_pg_param_i64(&p, (int64_t)off);
	rc = dfs_pg_delivery_query(cat, &log_get, &p, log_chunk_at, &l);
	if (!rc)
		*got = l.done;
	return rc;
}

struct fleet_row {
	struct dfs_delivery d;
	bool has;
};

static int fleet_row_at(void *arg, const PGresult *r, int row)
{
	struct fleet_row *f = arg;

	f->has = true;
	return dfs_pg_delivery_row(r, row, &f->d);
}

/* Node @node's delivery of project @pseq that @st selects, if any. */
static int get_for(struct dfs_pgcat *c, const struct dfs_pg_stmt *st,
		   const char *node, int64_t pseq, struct fleet_row *out)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, node);
	dfs_pg_param_i64(&p, pseq);
	out->has = false;
	return dfs_pg_query_one(c->pg, &c->lock, st, &p, 0, fleet_row_at, out);
}

struct fleet {
	struct dfs_pgcat *c;
	int64_t pseq;
	int (*fn)(void *arg, const struct dfs_node_view *v);
	void *arg;
};

/* A row (node, following) of the fleet: its view, to the caller. */
static int fleet_node_at(void *arg, const PGresult *r, int row)
{
	struct fleet *f = arg;
	struct fleet_row ok, latest;
	struct dfs_node_view v;
	char node[DFS_NODE_MAX];
	size_t len;
	const char *s = dfs_pg_bytes(r, row, 0, &len);
	int rc;

	snprintf(node, sizeof(node), "%.*s", (int)len, s);
	rc = get_for(f->c, &last_success, node, f->pseq, &ok);
	if (!rc)
		rc = get_for(f->c, &latest_of, node, f->pseq, &latest);
	if (rc)
		return rc;
	v.node = node;
	v.delivered = ok.has ? &ok.d : NULL;
	v.latest = latest.has ? &latest.d : NULL;
	v.following = dfs_pg_bool(r, row, 1);
	return f->fn(f->arg, &v);
}

int dfs_delivery_pg_nodes(struct dfs_catalog *cat, const char *project,
			  int (*fn)(void *arg, const struct dfs_node_view *v),
			  void *arg)
{
	struct fleet f = {NULL, 0, fn, arg};
	struct dfs_pg_params p;
	struct dfs_project pj;
	int rc;

	rc = dfs_pg_delivery_cat(cat, false, &f.c);
	if (!rc)
		rc = dfs_catalog_project_get(cat, project, &pj);
	if (rc)
		return rc;
	f.pseq = (int64_t)pj.pseq;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project);
	dfs_pg_param_i64(&p, f.pseq);
	return dfs_pg_query(f.c->pg, &f.c->lock, &fleet_nodes, &p,
			    fleet_node_at, &f, NULL);
}
