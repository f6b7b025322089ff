/* pg/deliveries — fleet delivery in the catalog (see delivery_pg.h). */
#include <errno.h>
#include <jansson.h>
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
static const struct dfs_pg_stmt recover_own = {
	"dfs_dl_recover",
	"UPDATE deployfs.deliveries SET status = 4, completed_ms = $3, "
	"error_code = 'interrupted', error_message = 'the follower stopped "
	"before the delivery completed' WHERE node = $1 AND status = 0 AND "
	"epoch < $2 RETURNING " COLS};
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
static const struct dfs_pg_stmt get_one = {
	"dfs_dl_get",
	"SELECT " COLS " FROM deployfs.deliveries WHERE id = $1 AND node = $2"};
static const struct dfs_pg_stmt log_grow = {
	"dfs_dl_log_grow",
	"UPDATE deployfs.deliveries SET log_size = log_size + $4 WHERE id = $1 "
	"AND node = $2 AND status = 0 AND epoch = $3 RETURNING log_size - $4"};
static const struct dfs_pg_stmt log_put = {
	"dfs_dl_log_put",
	"INSERT INTO deployfs.delivery_log (id, node, off, data) VALUES ($1, "
	"$2, $3, $4)"};
static const struct dfs_pg_stmt log_get = {
	"dfs_dl_log_get",
	"SELECT off, data FROM deployfs.delivery_log WHERE id = $1 AND node = "
	"$2 AND off + length(data) > $3 ORDER BY off LIMIT 64"};
static const struct dfs_pg_stmt settle = {
	"dfs_dl_settle",
	"UPDATE deployfs.deliveries SET status = $4, completed_ms = $5, "
	"error_code = nullif($6, ''), error_message = nullif($7, '') WHERE id "
	"= "
	"$1 AND node = $2 AND status = 0 AND epoch = $3 RETURNING " COLS};
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

static int pg_of(struct dfs_catalog *cat, bool daemon, struct dfs_pgcat **out)
{
	if (!dfs_catalog_is_pg(cat))
		return -EOPNOTSUPP;
	*out = dfs_pgcat(cat);
	if (daemon && !(*out)->daemon)
		return -EPERM;
	return 0;
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

struct event {
	const struct dfs_delivery *d;
	const struct dfs_who *actor;
};

/* A deployment's event (audit.h's shape) naming the node. */
static int make_line(void *arg, uint64_t seq, int64_t time_ms, char **line,
		     size_t *len)
{
	struct event *e = arg;
	char when[DFS_ISOTIME_LEN], idstr[37], action[40];
	json_t *o;
	char *s;

	dfs_uuid7_format(e->d->id, idstr);
	snprintf(action, sizeof(action), "delivery_%s",
		 e->d->status == DFS_DELIVERY_PENDING
			 ? "started"
			 : dfs_delivery_status_name(e->d->status));
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, "
		      "s:s, s:I}",
		      "seq", (json_int_t)seq, "time",
		      dfs_time_format(time_ms, when), "deployment_id", idstr,
		      "project", e->d->project, "action", action, "status",
		      "success", "uid", (json_int_t)e->actor->uid, "user",
		      e->actor->user, "pid", (json_int_t)e->actor->pid,
		      "command", e->actor->command, "node", e->d->node,
		      "attempt", (json_int_t)e->d->attempts);
	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	*len = strlen(s) + 1;
	*line = realloc(s, *len + 1);
	if (!*line) {
		free(s);
		return -ENOMEM;
	}
	(*line)[*len - 1] = '\n';
	(*line)[*len] = '\0';
	return 0;
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

	rc = pg_of(cat, true, &c);
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

int dfs_delivery_pg_followers(struct dfs_catalog *cat, const char *project,
			      int (*fn)(void *arg, const char *node), void *arg)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	PGresult *r = NULL;
	char node[DFS_NODE_MAX];
	int rc;

	rc = pg_of(cat, false, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &followers, &p, &r);
	dfs_pgcat_unlock(c);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		size_t len;
		const char *s = dfs_pg_bytes(r, i, 0, &len);

		snprintf(node, sizeof(node), "%.*s", (int)len, s);
		rc = fn(arg, node);
	}
	PQclear(r);
	return rc;
}

/* Run @st and add an event for each delivery it returns. */
static int exec_events(struct dfs_pgcat *c, const struct dfs_pg_stmt *st,
		       const struct dfs_pg_params *p, unsigned *n)
{
	struct dfs_delivery d;
	PGresult *r = NULL;
	int rc;

	rc = dfs_pg_exec(c->pg, st, p, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		rc = dfs_pg_delivery_row(r, i, &d);
		if (!rc)
			rc = event(c, &d);
		if (!rc && n)
			(*n)++;
	}
	PQclear(r);
	return rc;
}

int dfs_delivery_pg_recover(struct dfs_catalog *cat, unsigned *n)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	unsigned count = 0;
	int rc;

	rc = pg_of(cat, true, &c);
	if (rc)
		return rc;
	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, c->node);
	dfs_pg_param_i64(&p, c->lease.epoch);
	dfs_pg_param_i64(&p, dfs_time_now_ms());
	rc = exec_events(c, &recover_own, &p, &count);
	rc = dfs_pgcat_end(c, rc);
	if (!rc)
		*n = count;
	return rc;
}

int dfs_delivery_pg_next(struct dfs_catalog *cat, struct dfs_record *rec)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	struct dfs_record r;
	uint8_t id[16];
	PGresult *res = NULL;
	int64_t pseq;
	int rc;

	rc = pg_of(cat, true, &c);
	if (rc)
		return rc;
	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, c->node);
	rc = dfs_pg_exec(c->pg, &next_todo, &p, &res);
	if (!rc && PQntuples(res) == 0)
		rc = -ENOENT;
	if (!rc) {
		pseq = dfs_pg_i64(res, 0, 0);
		rc = dfs_pg_uuid(res, 0, 1, id);
	}
	PQclear(res);
	if (!rc)
		rc = dfs_pgcat_record_get(c, id, false, &r);
	if (!rc) {
		dfs_pg_params_init(&p);
		dfs_pg_param_text(&p, c->node);
		dfs_pg_param_i64(&p, pseq);
		dfs_pg_param_uuid(&p, id);
		dfs_pg_param_text(&p, r.project);
		dfs_pg_param_i64(&p, c->lease.epoch);
		dfs_pg_param_i64(&p, dfs_time_now_ms());
		rc = exec_events(c, &supersede, &p, NULL);
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
	PGresult *r = NULL;
	int rc;

	rc = pg_of(cat, true, &c);
	if (rc)
		return rc;
	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, rec->id);
	dfs_pg_param_text(&p, c->node);
	dfs_pg_param_text(&p, rec->project);
	dfs_pg_param_i64(&p, c->lease.epoch);
	dfs_pg_param_i64(&p, dfs_time_now_ms());
	rc = dfs_pg_exec(c->pg, &claim, &p, &r);
	if (!rc && PQntuples(r) == 0)
		rc = -EEXIST;
	if (!rc)
		rc = dfs_pg_delivery_row(r, 0, &got);
	PQclear(r);
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

int dfs_delivery_pg_log(struct dfs_catalog *cat, const uint8_t id[16],
			const void *buf, size_t n)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	PGresult *r = NULL;
	int64_t off;
	int rc;

	rc = pg_of(cat, true, &c);
	if (rc || n == 0)
		return rc;
	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_text(&p, c->node);
	dfs_pg_param_i64(&p, c->lease.epoch);
	dfs_pg_param_i64(&p, (int64_t)n);
	rc = dfs_pg_exec(c->pg, &log_grow, &p, &r);
	if (!rc && PQntuples(r) == 0)
		rc = -ESTALE;
	if (!rc) {
		off = dfs_pg_i64(r, 0, 0);
		dfs_pg_params_init(&p);
		dfs_pg_param_uuid(&p, id);
		dfs_pg_param_text(&p, c->node);
		dfs_pg_param_i64(&p, off);
		dfs_pg_param_bytes(&p, buf, n);
		rc = dfs_pg_exec(c->pg, &log_put, &p, NULL);
	}
	PQclear(r);
	return dfs_pgcat_end(c, rc);
}

int dfs_delivery_pg_settle(struct dfs_catalog *cat, struct dfs_delivery *d)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	struct dfs_delivery got;
	PGresult *r = NULL;
	int rc;

	rc = pg_of(cat, true, &c);
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
	rc = dfs_pg_exec(c->pg, &settle, &p, &r);
	if (!rc && PQntuples(r) == 0)
		rc = -ESTALE;
	if (!rc)
		rc = dfs_pg_delivery_row(r, 0, &got);
	PQclear(r);
	if (!rc)
		rc = event(c, &got);
	rc = dfs_pgcat_end(c, rc);
	if (!rc)
		*d = got;
	return rc;
}

/* One statement's rows of deliveries, each to @fn. */
static int read_rows(struct dfs_pgcat *c, const struct dfs_pg_stmt *st,
		     const struct dfs_pg_params *p,
		     int (*fn)(void *arg, const struct dfs_delivery *d),
		     void *arg, unsigned *rows)
{
	struct dfs_delivery d;
	PGresult *r = NULL;
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, st, p, &r);
	dfs_pgcat_unlock(c);
	if (!rc && rows)
		*rows = (unsigned)PQntuples(r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		rc = dfs_pg_delivery_row(r, i, &d);
		if (!rc)
			rc = fn(arg, &d);
	}
	PQclear(r);
	return rc;
}

static int copy_one(void *arg, const struct dfs_delivery *d)
{
	*(struct dfs_delivery *)arg = *d;
	return 0;
}

int dfs_delivery_pg_get(struct dfs_catalog *cat, const uint8_t id[16],
			const char *node, struct dfs_delivery *d)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	struct dfs_delivery got;
	unsigned rows = 0;
	int rc;

	rc = pg_of(cat, false, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_text(&p, node);
	rc = read_rows(c, &get_one, &p, copy_one, &got, &rows);
	if (!rc && rows == 0)
		rc = -ENOENT;
	if (!rc)
		*d = got;
	return rc;
}

int dfs_delivery_pg_list(struct dfs_catalog *cat, const uint8_t id[16],
			 int (*fn)(void *arg, const struct dfs_delivery *d),
			 void *arg)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	int rc;

	rc = pg_of(cat, false, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	return read_rows(c, &list_of, &p, fn, arg, NULL);
}

int dfs_delivery_pg_counts(struct dfs_catalog *cat, const uint8_t id[16],
			   struct dfs_delivery_counts *counts)
{
	struct dfs_delivery_counts n = {0};
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	PGresult *r = NULL;
	int rc;

	rc = pg_of(cat, false, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &counts_of, &p, &r);
	dfs_pgcat_unlock(c);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		uint64_t k = (uint64_t)dfs_pg_i64(r, i, 1);

		switch (dfs_pg_i16(r, i, 0)) {
		case DFS_DELIVERY_PENDING:
			n.pending = k;
			break;
		case DFS_DELIVERY_SUCCESS:
			n.success = k;
			break;
		case DFS_DELIVERY_FAILED:
			n.failed = k;
			break;
		case DFS_DELIVERY_SUPERSEDED:
			n.superseded = k;
			break;
		default:
			n.interrupted = k;
		}
	}
	PQclear(r);
	if (!rc && c->known)
		dfs_pg_known_counts(c->known, id, &n);
	if (dfs_pgcat_offline(c, rc))
		rc = dfs_pg_known_counts_get(c->known, id, &n) ? -EIO : 0;
	if (!rc)
		*counts = n;
	return rc;
}

int dfs_delivery_pg_log_read(struct dfs_catalog *cat, const uint8_t id[16],
			     const char *node, uint64_t off, void *buf,
			     size_t n, size_t *got)
{
	struct dfs_pg_params p;
	struct dfs_pgcat *c;
	PGresult *r = NULL;
	size_t done = 0;
	int rc;

	rc = pg_of(cat, false, &c);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_text(&p, node);
	dfs_pg_param_i64(&p, (int64_t)off);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &log_get, &p, &r);
	dfs_pgcat_unlock(c);
	for (int i = 0; !rc && i < PQntuples(r) && done < n; i++) {
		uint64_t at = (uint64_t)dfs_pg_i64(r, i, 0);
		size_t len, skip, take;
		const char *data = dfs_pg_bytes(r, i, 1, &len);

		if (at > off + done)
			break; /* a gap: never, as chunks are gapless */
		skip = (size_t)(off + done - at);
		if (skip >= len)
			continue;
		take = len - skip < n - done ? len - skip : n - done;
		memcpy((char *)buf + done, data + skip, take);
		done += take;
	}
	PQclear(r);
	if (!rc)
		*got = done;
	return rc;
}

struct fleet_row {
	struct dfs_delivery d;
	bool has;
};

static int get_for(struct dfs_pgcat *c, const struct dfs_pg_stmt *st,
		   const char *node, int64_t pseq, struct fleet_row *out)
{
	struct dfs_pg_params p;
	unsigned rows = 0;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, node);
	dfs_pg_param_i64(&p, pseq);
	rc = read_rows(c, st, &p, copy_one, &out->d, &rows);
	out->has = !rc && rows > 0;
	return rc;
}

int dfs_delivery_pg_nodes(struct dfs_catalog *cat, const char *project,
			  int (*fn)(void *arg, const struct dfs_node_view *v),
			  void *arg)
{
	struct dfs_pg_params p;
	struct dfs_project pj;
	struct dfs_pgcat *c;
	PGresult *r = NULL;
	int rc;

	rc = pg_of(cat, false, &c);
	if (!rc)
		rc = dfs_catalog_project_get(cat, project, &pj);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project);
	dfs_pg_param_i64(&p, (int64_t)pj.pseq);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &fleet_nodes, &p, &r);
	dfs_pgcat_unlock(c);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		struct fleet_row ok, latest;
		struct dfs_node_view v;
		char node[DFS_NODE_MAX];
		size_t len;
		const char *s = dfs_pg_bytes(r, i, 0, &len);

		snprintf(node, sizeof(node), "%.*s", (int)len, s);
		rc = get_for(c, &last_success, node, (int64_t)pj.pseq, &ok);
		if (!rc)
			rc = get_for(c, &latest_of, node, (int64_t)pj.pseq,
				     &latest);
		if (rc)
			break;
		v.node = node;
		v.delivered = ok.has ? &ok.d : NULL;
		v.latest = latest.has ? &latest.d : NULL;
		v.following = dfs_pg_bool(r, i, 1);
		rc = fn(arg, &v);
	}
	PQclear(r);
	return rc;
}

struct dfs_delivery_listener {
	struct dfs_pg *pg;
	bool fresh; /* (re)connected since the last wait */
};

static int relisten(void *arg, struct dfs_pg *pg)
{
	struct dfs_delivery_listener *l = arg;

	l->fresh = true;
	return dfs_pg_listen(pg, DFS_PG_CHANNEL);
}

int dfs_delivery_listener_open(const char *conninfo,
			       struct dfs_delivery_listener **out)
{
	struct dfs_delivery_listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	rc = dfs_pg_open(conninfo, &l->pg);
	if (rc) {
		free(l);
		return rc;
	}
	dfs_pg_on_connect(l->pg, relisten, l);
	*out = l;
	return 0;
}

void dfs_delivery_listener_close(struct dfs_delivery_listener *l)
{
	if (!l)
		return;
	dfs_pg_close(l->pg);
	free(l);
}

static int any_note(void *arg, const struct dfs_pg_note *note)
{
	(void)arg;
	(void)note;
	return 0;
}

int dfs_delivery_listener_wait(struct dfs_delivery_listener *l, int timeout_ms)
{
	unsigned n = 0;
	int rc;

	rc = dfs_pg_connect(l->pg);
	if (rc)
		return rc;
	if (l->fresh) {
		l->fresh = false;
		return 1;
	}
	rc = dfs_pg_notify_wait(l->pg, timeout_ms, any_note, NULL, &n);
	if (rc == -EIO)
		dfs_pg_disconnect(l->pg);
	if (rc)
		return rc;
	return n > 0 ? 1 : 0;
}
