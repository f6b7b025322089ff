/*
 * pg/delivery_nodes — the nodes of fleet delivery by number, for the
 * tree's deliveries/ and nodes/ directories (see delivery_pg.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "delivery_pg.h"
#include "pg_deliveries.h"
#include "pgcat.h"

static const struct dfs_pg_stmt node_id_of = {
	"dfs_dl_node_id", "SELECT node_id FROM deployfs.nodes WHERE name = $1"};
static const struct dfs_pg_stmt node_name_of = {
	"dfs_dl_node_name",
	"SELECT name FROM deployfs.nodes WHERE node_id = $1"};
static const struct dfs_pg_stmt nodes_of = {
	"dfs_dl_nodes_of",
	"SELECT n.node_id, n.name FROM deployfs.deliveries d JOIN "
	"deployfs.nodes n ON n.name = d.node WHERE d.id = $1 AND n.node_id > "
	"$2 ORDER BY n.node_id"};
static const struct dfs_pg_stmt nodes_delivered = {
	"dfs_dl_nodes_delivered",
	"SELECT n.node_id, n.name FROM deployfs.nodes n WHERE n.node_id > $2 "
	"AND EXISTS (SELECT 1 FROM deployfs.deliveries d WHERE d.node = "
	"n.name AND d.pseq = $1 AND d.status = 1) ORDER BY n.node_id"};

static const struct dfs_pg_stmt last_of = {
	"dfs_dl_last_of",
	"SELECT " DFS_PG_DELIVERY_COLS
	" FROM deployfs.deliveries WHERE node = $1 AND pseq = $2 AND status "
	"= 1 ORDER BY id DESC LIMIT 1"};

static int node_id_at(void *id, const PGresult *r, int row)
{
	*(uint32_t *)id = (uint32_t)dfs_pg_i32(r, row, 0);
	return 0;
}

int dfs_delivery_pg_node_id(struct dfs_catalog *cat, const char *node,
			    uint32_t *id)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, node);
	return dfs_pg_delivery_query_one(cat, &node_id_of, &p, -ENOENT,
					 node_id_at, id);
}

static int node_name_at(void *node, const PGresult *r, int row)
{
	size_t len;
	const char *s = dfs_pg_bytes(r, row, 0, &len);

	if (len >= DFS_NODE_MAX)
		return -ENAMETOOLONG;
	snprintf(node, DFS_NODE_MAX, "%.*s", (int)len, s);
	return 0;
}

int dfs_delivery_pg_node_name(struct dfs_catalog *cat, uint32_t id,
			      char node[DFS_NODE_MAX])
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	int rc;

	rc = dfs_pg_delivery_cat(cat, false, &c);
	if (rc)
		return rc;
	if (id > INT32_MAX)
		return -ENOENT;
	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, (int32_t)id);
	return dfs_pg_query_one(c->pg, &c->lock, &node_name_of, &p, -ENOENT,
				node_name_at, node);
}

struct node_fn {
	dfs_delivery_node_fn fn;
	void *arg;
};

/* A row (node_id, name) to the caller; a name too long is passed over. */
static int node_at(void *arg, const PGresult *r, int row)
{
	struct node_fn *f = arg;
	char node[DFS_NODE_MAX];
	size_t len;
	const char *s = dfs_pg_bytes(r, row, 1, &len);

	if (len >= DFS_NODE_MAX)
		return 0;
	snprintf(node, sizeof(node), "%.*s", (int)len, s);
	return f->fn(f->arg, (uint32_t)dfs_pg_i32(r, row, 0), node);
}

/* One statement's rows of (node_id, name), each to @fn. */
static int scan_nodes(struct dfs_catalog *cat, const struct dfs_pg_stmt *st,
		      struct dfs_pg_params *p, dfs_delivery_node_fn fn,
		      void *arg)
{
	struct node_fn f = {fn, arg};

	return dfs_pg_delivery_query(cat, st, p, node_at, &f);
}

int dfs_delivery_pg_scan_of(struct dfs_catalog *cat, const uint8_t id[16],
			    uint32_t after, dfs_delivery_node_fn fn, void *arg)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_i64(&p, after);
	return scan_nodes(cat, &nodes_of, &p, fn, arg);
}

int dfs_delivery_pg_scan_delivered(struct dfs_catalog *cat, uint64_t pseq,
				   uint32_t after, dfs_delivery_node_fn fn,
				   void *arg)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)pseq);
	dfs_pg_param_i64(&p, after);
	return scan_nodes(cat, &nodes_delivered, &p, fn, arg);
}

int dfs_delivery_pg_last(struct dfs_catalog *cat, const char *node,
			 uint64_t pseq, struct dfs_delivery *d)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, node);
	dfs_pg_param_i64(&p, (int64_t)pseq);
	return dfs_pg_delivery_query_one(cat, &last_of, &p, -ENOENT,
					 dfs_pg_delivery_at, d);
}
