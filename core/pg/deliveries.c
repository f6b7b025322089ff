/*
 * pg/deliveries — fleet delivery in the catalog, the follower's side:
 * what it follows, what it claims, its log and how each delivery ends,
 * each change with its audit event (see delivery_pg.h). What anyone
 * reads is in delivery_reads.c, the listener in delivery_listener.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery_pg.h"
#include "isotime.h"
#include "name.h"
#include "pg_audit.h"
#include "pg_deliveries.h"
#include "pg_notify.h"
#include "pgcat.h"
#include "uuid7.h"

#define COLS DFS_PG_DELIVERY_COLS

static const struct dfs_pg_stmt follow_clear = {
	"dfs_dl_follow_clear", "DELETE FROM deployfs.follows WHERE node = $1"};
static const struct dfs_pg_stmt follow_add = {
	"dfs_dl_follow_add", "INSERT INTO deployfs.follows (node, project, "
			     "since_ms) VALUES ($1, $2, "
			     "$3) ON CONFLICT DO NOTHING"};
static const struct dfs_pg_stmt followers = {
	"dfs_dl_followers",
	"SELECT DISTINCT node FROM deployfs.follows WHERE project = $1 OR "
	"project = '*' ORDER BY node"};
/* Node $1's pending deliveries become interrupted at $2. */
#define INTERRUPT                                                              \
	"UPDATE deployfs.deliveries SET status = 4, completed_ms = $2, "       \
	"error_code = 'interrupted', error_message = 'the follower stopped "   \
	"before the delivery completed' WHERE node = $1 AND status = 0"
static const struct dfs_pg_stmt recover_own = {
	"dfs_dl_recover", INTERRUPT " AND epoch < $3 RETURNING " COLS};
static const struct dfs_pg_stmt recover_node = {"dfs_dl_recover_node",
						INTERRUPT " RETURNING " COLS};
static const struct dfs_pg_stmt pending_nodes = {
	"dfs_dl_pending_nodes",
	"SELECT DISTINCT n.node_id, n.name FROM deployfs.deliveries d JOIN "
	"deployfs.nodes n ON n.name = d.node WHERE d.status = 0 AND "
	"n.node_id > $1 ORDER BY n.node_id LIMIT 64"};
static const struct dfs_pg_stmt next_todo = {
	"dfs_dl_next",
	"SELECT p.pseq, p.current FROM deployfs.projects p WHERE NOT p.removed "
	"AND p.current IS NOT NULL AND EXISTS (SELECT 1 FROM deployfs.follows "
	"f "
	"WHERE f.node = $1 AND (f.project = '*' OR f.project = p.name)) AND "
	"NOT "
	"EXISTS (SELECT 1 FROM deployfs.deliveries d WHERE d.id = p.current "
	"AND "
	"d.node = $1 AND d.status <> 4) ORDER BY p.current LIMIT 1"};
static const struct dfs_pg_stmt supersede = {
	"dfs_dl_supersede",
	"INSERT INTO deployfs.deliveries (id, node, pseq, project, version, "
	"status, epoch, attempts, started_ms, completed_ms, payload_hash) "
	"SELECT r.id, $1, r.pseq, $4, r.version, 3, $5, 0, $6, $6, "
	"r.payload_hash FROM deployfs.records r WHERE r.pseq = $2 AND "
	"r.status = 1 AND r.id < $3 AND r.id > coalesce((SELECT d.id FROM "
	"deployfs.deliveries d WHERE d.node = $1 AND d.pseq = $2 ORDER BY d.id "
	"DESC LIMIT 1), $3) "
	"ORDER BY r.id LIMIT 1000 ON CONFLICT DO NOTHING RETURNING " COLS};
static const struct dfs_pg_stmt claim = {
	"dfs_dl_claim",
	"INSERT INTO deployfs.deliveries AS d (id, node, pseq, project, "
	"version, status, epoch, attempts, started_ms, payload_hash) SELECT "
	"r.id, $2, r.pseq, $3, r.version, 0, $4, 1, $5, r.payload_hash FROM "
	"deployfs.records r WHERE r.id = $1 ON CONFLICT (id, node) DO UPDATE "
	"SET status = 0, epoch = $4, attempts = d.attempts + 1, started_ms = "
	"$5, completed_ms = NULL, error_code = NULL, error_message = NULL "
	"WHERE d.status = 4 RETURNING " COLS};
static const struct dfs_pg_stmt log_grow = {
	"dfs_dl_log_grow",
	"UPDATE deployfs.deliveries SET log_size = log_size + $4 WHERE id = $1 "
	"AND node = $2 AND status = 0 AND epoch = $3 RETURNING log_size - $4"};
static const struct dfs_pg_stmt log_put = {
	"dfs_dl_log_put",
	"INSERT INTO deployfs.delivery_log (id, node, off, data) VALUES ($1, "
	"$2, $3, $4)"};
static const struct dfs_pg_stmt settle = {
	"dfs_dl_settle",
	"UPDATE deployfs.deliveries SET status = $4, completed_ms = $5, "
	"error_code = nullif($6, ''), error_message = nullif($7, '') WHERE id "
	"= "
	"$1 AND node = $2 AND status = 0 AND epoch = $3 RETURNING " COLS};
int dfs_pg_delivery_cat(struct dfs_catalog *cat, bool daemon,
			struct dfs_pgcat **out)
{
	if (!dfs_catalog_is_pg(cat))
		return -EOPNOTSUPP;
	*out = dfs_pgcat(cat);
	if (daemon && !(*out)->daemon)
		return -EPERM;
	return 0;
}

int dfs_pg_delivery_query(struct dfs_catalog *cat, const struct dfs_pg_stmt *st,
			  const struct dfs_pg_params *p, dfs_pg_row_fn fn,
			  void *arg)
{
	struct dfs_pgcat *c;
	int rc;

	rc = dfs_pg_delivery_cat(cat, false, &c);
	if (rc)
		return rc;
	return dfs_pg_query(c->pg, &c->lock, st, p, fn, arg, NULL);
}

int dfs_pg_delivery_query_one(struct dfs_catalog *cat,
			      const struct dfs_pg_stmt *st,
			      const struct dfs_pg_params *p, int none,
			      dfs_pg_row_fn fn, void *arg)
{
	struct dfs_pgcat *c;
	int rc;

	rc = dfs_pg_delivery_cat(cat, false, &c);
	if (rc)
		return rc;
	return dfs_pg_query_one(c->pg, &c->lock, st, p, none, fn, arg);
}

/* The daemon's catalog @cat, its lock taken and a transaction begun. */
static int begin_own(struct dfs_catalog *cat, struct dfs_pgcat **c)
{
	int rc;

	rc = dfs_pg_delivery_cat(cat, true, c);
	return rc ? rc : dfs_pgcat_begin(*c);
}

int dfs_pg_delivery_row(const PGresult *r, int i, struct dfs_delivery *d)
{
	const char *s;
	size_t len;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = dfs_pg_uuid(r, i, 0, d->id);
	if (rc)
		return rc;
	s = dfs_pg_bytes(r, i, 1, &len);
	snprintf(d->node, sizeof(d->node), "%.*s", (int)len, s);
	s = dfs_pg_bytes(r, i, 2, &len);
	snprintf(d->project, sizeof(d->project), "%.*s", (int)len, s);
	d->version = (uint64_t)dfs_pg_i64(r, i, 3);
	d->status = (enum dfs_delivery_status)dfs_pg_i16(r, i, 4);
	d->attempts = (unsigned)dfs_pg_i32(r, i, 5);
	d->started_ms = dfs_pg_i64(r, i, 6);
	d->completed_ms =
		dfs_pg_bool(r, i, 8) ? DFS_TIME_NONE : dfs_pg_i64(r, i, 7);
	if (!dfs_pg_isnull(r, i, 9)) {
		s = dfs_pg_bytes(r, i, 9, &len);
		if (len == 32) {
			memcpy(d->payload_hash, s, 32);
			d->has_hash = true;
		}
	}
	s = dfs_pg_bytes(r, i, 10, &len);
	snprintf(d->error.code, sizeof(d->error.code), "%.*s", (int)len, s);
	s = dfs_pg_bytes(r, i, 11, &len);
	snprintf(d->error.message, sizeof(d->error.message), "%.*s", (int)len,
		 s);
	d->error.phase = DFS_PHASE_DONE;
	d->log_size = (uint64_t)dfs_pg_i64(r, i, 12);
	return 0;
}

int dfs_pg_delivery_at(void *d, const PGresult *r, int row)
{
	return dfs_pg_delivery_row(r, row, d);
}

struct event {
	const struct dfs_delivery *d;
	const struct dfs_who *actor;
};

static int make_line(void *arg, uint64_t seq, int64_t time_ms, char **line,
		     size_t *len)
{
	struct event *e = arg;

	return dfs_delivery_audit_line(seq, time_ms, e->d, e->actor, line, len);
}

/* The audit event and the announcement of a change of @d. */
static int event(struct dfs_pgcat *c, const struct dfs_delivery *d)
{
	struct dfs_who self;
	struct event e = {d, c->has_actor ? &c->actor : &self};
	char idstr[37], payload[512];
	int rc;

	if (!c->has_actor)
		dfs_who_self(&self);
	rc = dfs_pg_audit_append(c->pg, make_line, &e, NULL);
	if (rc)
		return rc;
	dfs_uuid7_format(d->id, idstr);
	snprintf(payload, sizeof(payload), "%s delivery_%s %s", d->node,
		 dfs_delivery_status_name(d->status), idstr);
	return dfs_pg_notify(c->pg, DFS_PG_CHANNEL, payload);
}

int dfs_delivery_pg_follow(struct dfs_catalog *cat, const char *const *projects,
			   size_t n)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	int rc;

	rc = dfs_pg_delivery_cat(cat, true, &c);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (strcmp(projects[i], "*") != 0 &&
		    !dfs_name_is_project(projects[i]))
			return -EINVAL;
	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, c->node);
	rc = dfs_pg_exec(c->pg, &follow_clear, &p, NULL);
	for (size_t i = 0; !rc && i < n; i++) {
		dfs_pg_params_init(&p);
		dfs_pg_param_text(&p, c->node);
		dfs_pg_param_text(&p, projects[i]);
		dfs_pg_param_i64(&p, dfs_time_now_ms());
		rc = dfs_pg_exec(c->pg, &follow_add, &p, NULL);
	}
	return dfs_pgcat_end(c, rc);
}

struct node_fn {
	int (*fn)(void *arg, const char *node);
	void *arg;
};

static int follower_at(void *arg, const PGresult *r, int row)
{
	struct node_fn *f = arg;
	char node[DFS_NODE_MAX];
	size_t len;
	const char *s = dfs_pg_bytes(r, row, 0, &len);

	snprintf(node, sizeof(node), "%.*s", (int)len, s);
	return f->fn(f->arg, node);
}

int dfs_delivery_pg_followers(struct dfs_catalog *cat, const char *project,
			      int (*fn)(void *arg, const char *node), void *arg)
{
	struct node_fn f = {fn, arg};
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project);
	return dfs_pg_delivery_query(cat, &followers, &p, follower_at, &f);
}

/* A delivery a statement changed: its event. */
static int event_at(void *c, const PGresult *r, int row)
{
	struct dfs_delivery d;
	int rc;

	rc = dfs_pg_delivery_row(r, row, &d);
	return rc ? rc : event(c, &d);
}

int dfs_delivery_pg_recover(struct dfs_catalog *cat, unsigned *n)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	unsigned count = 0;
	int rc;

	rc = begin_own(cat, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, c->node);
	dfs_pg_param_i64(&p, dfs_time_now_ms());
	dfs_pg_param_i64(&p, c->lease.epoch);
	rc = dfs_pg_query(c->pg, NULL, &recover_own, &p, event_at, c, &count);
	rc = dfs_pgcat_end(c, rc);
	if (!rc)
		*n = count;
	return rc;
}

/* Nodes with pending deliveries, a batch of them. */
struct pending_nodes {
	unsigned n;
	struct {
		int32_t id;
		char name[DFS_NODE_MAX];
	} v[64];
};

static int pending_node_at(void *arg, const PGresult *r, int row)
{
	struct pending_nodes *pn = arg;
	size_t len;
	const char *s = dfs_pg_bytes(r, row, 1, &len);

	if (pn->n == sizeof(pn->v) / sizeof(pn->v[0]))
		return 0;
	pn->v[pn->n].id = dfs_pg_i32(r, row, 0);
	snprintf(pn->v[pn->n].name, sizeof(pn->v[pn->n].name), "%.*s", (int)len,
		 s);
	pn->n++;
	return 0;
}

/*
 * Interrupt node @id's (@name's) pending deliveries if it is dead: its lease is
 * free, and held here meanwhile so that it cannot come back half way.
 */
static int recover_if_dead(struct dfs_pgcat *c, int32_t id, const char *name,
			   unsigned *count)
{
	struct dfs_pg_params p;
	bool got = false;
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pg_lease_try(c->pg, id, &got);
	if (!rc && got) {
		dfs_pg_params_init(&p);
		dfs_pg_param_text(&p, name);
		dfs_pg_param_i64(&p, dfs_time_now_ms());
		rc = dfs_pg_query(c->pg, NULL, &recover_node, &p, event_at, c,
				  count);
	}
	rc = dfs_pgcat_end(c, rc);
	if (got) {
		dfs_pgcat_lock(c);
		dfs_pg_lease_drop(c->pg, id);
		dfs_pgcat_unlock(c);
	}
	return rc;
}

int dfs_delivery_pg_recover_dead(struct dfs_catalog *cat, unsigned *n)
{
	struct pending_nodes pn = {0};
	struct dfs_pgcat *c;
	unsigned count = 0;
	int rc;

	rc = dfs_pg_delivery_cat(cat, false, &c);
	if (rc)
		return rc;
	/* In batches by node number: live followers cannot hide dead ones. */
	do {
		struct dfs_pg_params p;

		dfs_pg_params_init(&p);
		dfs_pg_param_i32(&p, pn.n ? pn.v[pn.n - 1].id : 0);
		pn.n = 0;
		rc = dfs_pg_query(c->pg, &c->lock, &pending_nodes, &p,
				  pending_node_at, &pn, NULL);
		for (unsigned i = 0; !rc && i < pn.n; i++) {
			unsigned k = 0;

			if (c->daemon && pn.v[i].id == c->lease.node_id)
				continue; /* its own: recovered at its start */
			rc = recover_if_dead(c, pn.v[i].id, pn.v[i].name, &k);
			count += k;
		}
	} while (!rc && pn.n == sizeof(pn.v) / sizeof(pn.v[0]));
	if (!rc)
		*n = count;
	return rc;
}

struct todo {
	int64_t pseq;
	uint8_t id[16];
};

static int todo_at(void *arg, const PGresult *r, int row)
{
	struct todo *t = arg;

	t->pseq = dfs_pg_i64(r, row, 0);
	return dfs_pg_uuid(r, row, 1, t->id);
}

int dfs_delivery_pg_next(struct dfs_catalog *cat, struct dfs_record *rec)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	struct dfs_record r;
	struct todo t;
	int rc;

	rc = begin_own(cat, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, c->node);
	rc = dfs_pg_query_one(c->pg, NULL, &next_todo, &p, -ENOENT, todo_at,
			      &t);
	if (!rc)
		rc = dfs_pgcat_record_get(c, t.id, false, &r);
	if (!rc) {
		dfs_pg_params_init(&p);
		dfs_pg_param_text(&p, c->node);
		dfs_pg_param_i64(&p, t.pseq);
		dfs_pg_param_uuid(&p, t.id);
		dfs_pg_param_text(&p, r.project);
		dfs_pg_param_i64(&p, c->lease.epoch);
		dfs_pg_param_i64(&p, dfs_time_now_ms());
		rc = dfs_pg_query(c->pg, NULL, &supersede, &p, event_at, c,
				  NULL);
	}
	rc = dfs_pgcat_end(c, rc);
	if (!rc)
		*rec = r;
	return rc;
}

int dfs_delivery_pg_claim(struct dfs_catalog *cat, const struct dfs_record *rec,
			  struct dfs_delivery *d)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	struct dfs_delivery got;
	int rc;

	rc = begin_own(cat, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, rec->id);
	dfs_pg_param_text(&p, c->node);
	dfs_pg_param_text(&p, rec->project);
	dfs_pg_param_i64(&p, c->lease.epoch);
	dfs_pg_param_i64(&p, dfs_time_now_ms());
	rc = dfs_pg_query_one(c->pg, NULL, &claim, &p, -EEXIST,
			      dfs_pg_delivery_at, &got);
	if (!rc)
		rc = event(c, &got);
	rc = dfs_pgcat_end(c, rc);
	if (rc == -EEXIST) {
		/* No row returned: is there a deployment at all? */
		struct dfs_record tmp;

		if (dfs_catalog_get(cat, rec->id, &tmp) == -ENOENT)
			rc = -ENOENT;
	}
	if (!rc)
		*d = got;
	return rc;
}

static int offset_at(void *off, const PGresult *r, int row)
{
	*(int64_t *)off = dfs_pg_i64(r, row, 0);
	return 0;
}

int dfs_delivery_pg_log(struct dfs_catalog *cat, const uint8_t id[16],
			const void *buf, size_t n)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	int64_t off;
	int rc;

	if (n == 0)
		return dfs_pg_delivery_cat(cat, true, &c);
	rc = begin_own(cat, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_text(&p, c->node);
	dfs_pg_param_i64(&p, c->lease.epoch);
	dfs_pg_param_i64(&p, (int64_t)n);
	rc = dfs_pg_query_one(c->pg, NULL, &log_grow, &p, -ESTALE, offset_at,
			      &off);
	if (!rc) {
		dfs_pg_params_init(&p);
		dfs_pg_param_uuid(&p, id);
		dfs_pg_param_text(&p, c->node);
		dfs_pg_param_i64(&p, off);
		dfs_pg_param_bytes(&p, buf, n);
		rc = dfs_pg_exec(c->pg, &log_put, &p, NULL);
	}
	return dfs_pgcat_end(c, rc);
}

int dfs_delivery_pg_settle(struct dfs_catalog *cat, struct dfs_delivery *d)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	struct dfs_delivery got;
	int rc;

	rc = dfs_pg_delivery_cat(cat, true, &c);
	if (rc)
		return rc;
	if (d->status != DFS_DELIVERY_SUCCESS &&
	    d->status != DFS_DELIVERY_FAILED)
		return -EINVAL;
	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, d->id);
	dfs_pg_param_text(&p, c->node);
	dfs_pg_param_i64(&p, c->lease.epoch);
	dfs_pg_param_i32(&p, (int32_t)d->status);
	dfs_pg_param_i64(&p, dfs_time_now_ms());
	dfs_pg_param_text(&p, d->error.code);
	dfs_pg_param_text(&p, d->error.message);
	rc = dfs_pg_query_one(c->pg, NULL, &settle, &p, -ESTALE,
			      dfs_pg_delivery_at, &got);
	if (!rc)
		rc = event(c, &got);
	rc = dfs_pgcat_end(c, rc);
	if (!rc)
		*d = got;
	return rc;
}
