/* pg/cat_records — records and the choke point (see pgcat.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_plan.h"
#include "pg_audit.h"
#include "pg_clock.h"
#include "isotime.h"
#include "pg_notify.h"
#include "pgcat.h"
#include "uuid7.h"

static const struct dfs_pg_stmt get_row = {
	"dfs_cat_get",
	"SELECT body, coalesce(node_id, 0), coalesce(node_epoch, 0), pseq "
	"FROM deployfs.records WHERE id = $1"};
static const struct dfs_pg_stmt get_row_locked = {
	"dfs_cat_get_locked",
	"SELECT body, coalesce(node_id, 0), coalesce(node_epoch, 0), pseq "
	"FROM deployfs.records WHERE id = $1 FOR UPDATE"};
/*
 * The project's row, locked before the record's: every writer takes
 * projects rows before records rows (see pgcat.h), or a settle holding
 * its record and a create holding the project would wait on each other.
 */
static const struct dfs_pg_stmt lock_project_of = {
	"dfs_cat_lock_project_of",
	"SELECT 1 FROM deployfs.projects WHERE pseq = (SELECT pseq FROM "
	"deployfs.records WHERE id = $1) FOR UPDATE"};
static const struct dfs_pg_stmt get_by_seq = {
	"dfs_cat_get_seq", "SELECT body FROM deployfs.records WHERE seq = $1"};

static const struct dfs_pg_stmt insert_row = {
	"dfs_cat_insert",
	"INSERT INTO deployfs.records (id, seq, pseq, version, status, held, "
	"pinned, node_id, node_epoch, payload_hash, payload_size, body) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, 0), nullif($9, 0), "
	"$10, "
	"$11, $12)"};
static const struct dfs_pg_stmt update_row = {
	"dfs_cat_update",
	"UPDATE deployfs.records SET status = $2, held = $3, pinned = $4, "
	"payload_hash = $5, payload_size = $6, body = $7 WHERE id = $1"};
static const struct dfs_pg_stmt delete_row = {
	"dfs_cat_delete", "DELETE FROM deployfs.records WHERE id = $1"};

static const struct dfs_pg_stmt next_version = {
	"dfs_cat_next_version",
	"INSERT INTO deployfs.versions (name, last) VALUES ($1, 1) "
	"ON CONFLICT (name) DO UPDATE SET last = versions.last + 1 "
	"RETURNING last"};

static const struct dfs_pg_stmt count_add = {
	"dfs_cat_count_add",
	"INSERT INTO deployfs.counts (pseq, status, n) VALUES ($1, $2, $3) "
	"ON CONFLICT (pseq, status) DO UPDATE SET n = counts.n + $3"};
/* A decrement: the row exists, and an insert of -1 would fail its check. */
static const struct dfs_pg_stmt count_sub = {
	"dfs_cat_count_sub", "UPDATE deployfs.counts SET n = n + $3 WHERE pseq "
			     "= $1 AND status = $2"};

static const struct dfs_pg_stmt ref_add = {
	"dfs_cat_ref_add",
	"INSERT INTO deployfs.blob_refs (hash, refs, size) VALUES ($1, 1, $2) "
	"ON CONFLICT (hash) DO UPDATE SET refs = blob_refs.refs + 1"};
static const struct dfs_pg_stmt ref_del = {
	"dfs_cat_ref_del",
	"UPDATE deployfs.blob_refs SET refs = refs - 1 WHERE hash = $1 AND "
	"refs > 1 RETURNING refs"};
static const struct dfs_pg_stmt ref_drop = {
	"dfs_cat_ref_drop",
	"DELETE FROM deployfs.blob_refs WHERE hash = $1 AND refs = 1"};

static const struct dfs_pg_stmt newest_held_success = {
	"dfs_cat_newest_held",
	"SELECT id FROM deployfs.records WHERE pseq = $1 AND status = 1 AND "
	"(pseq, status, id) < ($1, 1, $2) AND held "
	"ORDER BY pseq DESC, status DESC, id DESC LIMIT 1"};

/* Where a record came from, as its row says. */
struct origin {
	int32_t node_id; /* 0: no daemon's */
	int64_t epoch;
	uint64_t pseq;
};

static int row_get(struct dfs_pgcat *c, const uint8_t id[16], bool lock,
		   struct dfs_record *rec, struct origin *o)
{
	struct dfs_pg_params p;
	const char *body;
	PGresult *r;
	size_t len;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	if (lock) {
		rc = dfs_pg_exec(c->pg, &lock_project_of, &p, NULL);
		if (rc)
			return rc;
	}
	rc = dfs_pg_exec(c->pg, lock ? &get_row_locked : &get_row, &p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return -ENOENT;
	}
	body = dfs_pg_bytes(r, 0, 0, &len);
	rc = dfs_record_decode(body, len, rec);
	if (!rc && o) {
		o->node_id = dfs_pg_i32(r, 0, 1);
		o->epoch = dfs_pg_i64(r, 0, 2);
		o->pseq = (uint64_t)dfs_pg_i64(r, 0, 3);
	}
	PQclear(r);
	return rc;
}

int dfs_pgcat_record_get(struct dfs_pgcat *c, const uint8_t id[16], bool lock,
			 struct dfs_record *rec)
{
	return row_get(c, id, lock, rec, NULL);
}

/* Store @rec's columns and body: a new row (@o given) or over it. */
static int row_put(struct dfs_pgcat *c, const struct dfs_record *rec,
		   const struct origin *o)
{
	bool holds = dfs_record_holds_payload(rec);
	struct dfs_pg_params p;
	size_t len;
	char *body;
	int rc;

	rc = dfs_record_encode(rec, &body, &len);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, rec->id);
	if (o) {
		dfs_pg_param_i64(&p, (int64_t)rec->seq);
		dfs_pg_param_i64(&p, (int64_t)o->pseq);
		dfs_pg_param_i64(&p, (int64_t)rec->version);
	}
	dfs_pg_param_i32(&p, (int32_t)rec->status);
	dfs_pg_param_bool(&p, holds);
	dfs_pg_param_bool(&p, rec->pinned);
	if (o) {
		dfs_pg_param_i32(&p, o->node_id);
		dfs_pg_param_i64(&p, o->epoch);
	}
	dfs_pg_param_bytes(&p, rec->has_hash ? rec->payload_hash : NULL,
			   rec->has_hash ? 32 : 0);
	dfs_pg_param_i64(&p, (int64_t)rec->payload_size);
	dfs_pg_param_bytes(&p, body, len);
	rc = dfs_pg_exec(c->pg, o ? &insert_row : &update_row, &p, NULL);
	free(body);
	return rc;
}

static int count_one(struct dfs_pgcat *c, uint64_t pseq, int status, int64_t d)
{
	struct dfs_pg_params p;

	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)pseq);
	dfs_pg_param_i32(&p, status);
	dfs_pg_param_i64(&p, d);
	return dfs_pg_exec(c->pg, d > 0 ? &count_add : &count_sub, &p, NULL);
}

int dfs_pgcat_count_add(struct dfs_pgcat *c, uint64_t pseq,
			enum dfs_status status, int64_t d)
{
	int rc = count_one(c, 0, (int)status, d);

	return rc ? rc : count_one(c, pseq, (int)status, d);
}

/* A status move: rows locked in (pseq, status) order, old < new. */
static int count_move(struct dfs_pgcat *c, uint64_t pseq, enum dfs_status old,
		      enum dfs_status new)
{
	int rc;

	rc = count_one(c, 0, (int)old, -1);
	if (!rc)
		rc = count_one(c, 0, (int)new, 1);
	if (!rc)
		rc = count_one(c, pseq, (int)old, -1);
	if (!rc)
		rc = count_one(c, pseq, (int)new, 1);
	return rc;
}

/* Add (@d +1) or take (-1) a reference; *@last: none left. */
static int blob_ref(struct dfs_pgcat *c, const struct dfs_record *rec, int d,
		    bool *last)
{
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	dfs_pg_params_init(&p);
	dfs_pg_param_bytes(&p, rec->payload_hash, 32);
	if (d > 0) {
		dfs_pg_param_i64(&p, (int64_t)rec->payload_size);
		return dfs_pg_exec(c->pg, &ref_add, &p, NULL);
	}
	rc = dfs_pg_exec(c->pg, &ref_del, &p, &r);
	if (rc)
		return rc;
	*last = PQntuples(r) == 0;
	PQclear(r);
	if (!*last)
		return 0;
	rc = dfs_pg_exec(c->pg, &ref_drop, &p, &r);
	if (rc)
		return rc;
	/* Neither more than one nor exactly one: it was not counted. */
	rc = strcmp(PQcmdTuples(r), "1") == 0 ? 0 : -EIO;
	PQclear(r);
	return rc;
}

struct event {
	const struct dfs_record *rec;
	const char *project;
	const char *action;
	uint64_t records;
	const struct dfs_who *actor;
};

static int make_line(void *arg, uint64_t seq, int64_t time_ms, char **line,
		     size_t *len)
{
	struct event *e = arg;

	if (e->rec)
		return dfs_audit_line(seq, time_ms, e->rec, e->action, e->actor,
				      line, len);
	return dfs_audit_project_line(seq, time_ms, e->project, e->action,
				      e->records, e->actor, line, len);
}

/* Tell the other hosts at commit: "<node> <action> <id or project>". */
static int announce(struct dfs_pgcat *c, const char *action, const char *key)
{
	char payload[512];

	snprintf(payload, sizeof(payload), "%s %s %s", c->node, action, key);
	return dfs_pg_notify(c->pg, DFS_PG_CHANNEL, payload);
}

int dfs_pgcat_event(struct dfs_pgcat *c, const struct dfs_record *rec,
		    const char *action, const struct dfs_who *actor)
{
	struct event e = {rec, NULL, action, 0, actor};
	char idstr[37];
	int rc;

	rc = dfs_pg_audit_append(c->pg, make_line, &e, NULL);
	dfs_uuid7_format(rec->id, idstr);
	return rc ? rc : announce(c, action, idstr);
}

int dfs_pgcat_project_event(struct dfs_pgcat *c, const char *project,
			    const char *action, uint64_t records,
			    const struct dfs_who *actor)
{
	struct event e = {NULL, project, action, records, actor};
	int rc;

	rc = dfs_pg_audit_append(c->pg, make_line, &e, NULL);
	return rc ? rc : announce(c, action, project);
}

int dfs_pgcat_create_txn(struct dfs_pgcat *c, const char *project,
			 const struct dfs_who *who,
			 const struct dfs_project_attr *attr, int64_t at_ms,
			 struct dfs_record *rec)
{
	struct dfs_pg_params p;
	struct dfs_project pj;
	struct origin o = {0, 0, 0};
	PGresult *r;
	int rc;

	/* The clock first: every writer takes it in this order. */
	rc = dfs_pg_clock_next_at(c->pg, at_ms == DFS_TIME_NONE ? -1 : at_ms,
				  rec->id, &rec->seq);
	if (!rc)
		rc = dfs_pgcat_project_ensure(c, project, attr, &pj);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, project);
	rc = dfs_pg_exec(c->pg, &next_version, &p, &r);
	if (rc)
		return rc;
	rec->version = (uint64_t)dfs_pg_i64(r, 0, 0);
	PQclear(r);
	dfs_catalog_plan_create(rec, project, who, c->base.node);
	o.pseq = pj.pseq;
	if (c->daemon) {
		o.node_id = c->lease.node_id;
		o.epoch = c->lease.epoch;
	}
	rc = row_put(c, rec, &o);
	if (!rc)
		rc = dfs_pgcat_count_add(c, pj.pseq, rec->status, 1);
	if (!rc)
		rc = dfs_pgcat_event(c, rec, "created", who);
	return rc;
}

int dfs_pgcat_create(struct dfs_catalog *cat, const char *project,
		     const struct dfs_who *who,
		     const struct dfs_project_attr *attr,
		     struct dfs_record *rec)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_record r;
	int rc;

	dfs_record_init(&r);
	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_create_txn(c, project, who, attr, DFS_TIME_NONE, &r);
	rc = dfs_pgcat_end(c, rc);
	if (!rc)
		*rec = r;
	return rc;
}

/* The project's current moves to @rec when newer; @attr applies. */
static int settle_project(struct dfs_pgcat *c, const struct dfs_record *rec,
			  const struct dfs_project_attr *attr)
{
	struct dfs_project p;
	int rc;

	rc = dfs_pgcat_project_load(c, rec->project, true, &p);
	if (rc)
		return rc;
	dfs_catalog_plan_settle(&p, rec, attr, dfs_time_now_ms());
	return dfs_pgcat_project_store(c, &p);
}

/* Current back to the newest success still holding a payload. */
static int recompute_current(struct dfs_pgcat *c, const char *project)
{
	static const uint8_t top[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff};
	struct dfs_pg_params p;
	struct dfs_project pj;
	PGresult *r;
	int rc;

	rc = dfs_pgcat_project_load(c, project, true, &pj);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)pj.pseq);
	dfs_pg_param_uuid(&p, top);
	rc = dfs_pg_exec(c->pg, &newest_held_success, &p, &r);
	if (rc)
		return rc;
	pj.has_current = PQntuples(r) == 1;
	if (pj.has_current)
		rc = dfs_pg_uuid(r, 0, 0, pj.current);
	PQclear(r);
	return rc ? rc : dfs_pgcat_project_store(c, &pj);
}

/*
 * A daemon settles only the pending records of its own lease: once its
 * session ended (a crash, a partition) they are another daemon's to
 * recover, and a settle of one of them would undo that.
 */
static int may_settle(struct dfs_pgcat *c, const struct dfs_record *old,
		      const struct dfs_record *rec, const struct origin *o)
{
	/* Recovered meanwhile (by this node's next life or another's). */
	if (old->status != rec->status &&
	    strcmp(old->error.code, dfs_errcode_name(DFS_ERR_INTERRUPTED)) ==
		    0) {
		dfs_pg_set_error(c->pg, "the deployment was recovered as "
					"interrupted meanwhile");
		return -EIO;
	}
	/* Recovery (failing it "interrupted") is anyone's. */
	if (strcmp(rec->error.code, dfs_errcode_name(DFS_ERR_INTERRUPTED)) == 0)
		return 0;
	if (old->status != DFS_STATUS_PENDING || !c->daemon ||
	    o->node_id != c->lease.node_id || o->epoch == c->lease.epoch)
		return 0;
	dfs_pg_set_error(c->pg, "this node lost its lease while the "
				"deployment was in progress");
	return -EIO;
}

static int update_txn(struct dfs_pgcat *c, const struct dfs_record *change,
		      const struct dfs_project_attr *attr,
		      const struct dfs_who *actor, bool *last_ref)
{
	struct dfs_catalog_plan plan;
	const struct dfs_record *rec = &plan.rec;
	struct dfs_record old;
	struct origin o;
	int rc;

	*last_ref = false;
	rc = row_get(c, change->id, true, &old, &o);
	if (!rc)
		rc = dfs_catalog_plan_update(&plan, &old, change, actor);
	if (!rc)
		rc = may_settle(c, &old, rec, &o);
	if (!rc && plan.status_moves)
		rc = count_move(c, o.pseq, old.status, rec->status);
	if (!rc && plan.ref)
		rc = blob_ref(c, plan.ref < 0 ? &old : rec, plan.ref, last_ref);
	if (!rc)
		rc = row_put(c, rec, NULL);
	if (!rc && plan.current == DFS_PLAN_CURRENT_SETTLE)
		rc = settle_project(c, rec, attr);
	else if (!rc && plan.current == DFS_PLAN_CURRENT_RECOMPUTE)
		rc = recompute_current(c, rec->project);
	if (!rc && plan.action)
		rc = dfs_pgcat_event(c, rec, plan.action, plan.actor);
	else if (!rc)
		rc = announce(c, "changed", "");
	return rc;
}

int dfs_pgcat_update_txn(struct dfs_pgcat *c, const struct dfs_record *rec,
			 const struct dfs_project_attr *attr,
			 const struct dfs_who *actor)
{
	bool last;

	return update_txn(c, rec, attr, actor, &last);
}

int dfs_pgcat_update(struct dfs_catalog *cat, const struct dfs_record *rec,
		     const struct dfs_project_attr *attr,
		     const struct dfs_who *actor)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_update_txn(c, rec, attr, actor);
	return dfs_pgcat_end(c, rc);
}

int dfs_pgcat_delete_txn(struct dfs_pgcat *c, const uint8_t id[16],
			 struct dfs_record *old, bool *last_ref)
{
	struct dfs_pg_params p;
	struct dfs_record r;
	struct origin o;
	bool last = false;
	int rc;

	rc = row_get(c, id, true, &r, &o);
	if (rc)
		return rc;
	rc = dfs_pgcat_count_add(c, o.pseq, r.status, -1);
	if (!rc && dfs_record_holds_payload(&r))
		rc = blob_ref(c, &r, -1, &last);
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, id);
	if (!rc)
		rc = dfs_pg_exec(c->pg, &delete_row, &p, NULL);
	if (rc)
		return rc;
	*old = r;
	*last_ref = last;
	return 0;
}

int dfs_pgcat_drop_payload(struct dfs_catalog *cat, const uint8_t id[16],
			   enum dfs_drop_why why, const struct dfs_who *actor,
			   struct dfs_record *out, bool *last_ref)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_record rec, was;
	struct dfs_project p;
	bool last = false;
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_record_get(c, id, true, &rec);
	if (!rc && dfs_catalog_plan_drop_needs_project(&rec, why))
		rc = dfs_pgcat_project_load(c, rec.project, false, &p);
	if (!rc)
		rc = dfs_catalog_plan_drop(&rec, why, &p);
	was = rec;
	if (!rc && dfs_record_holds_payload(&rec)) {
		rec.payload_blob_present = false;
		rc = update_txn(c, &rec, NULL, actor, &last);
	}
	rc = dfs_pgcat_end(c, rc);
	if (!rc) {
		if (out)
			*out = was;
		*last_ref = last;
	}
	return rc;
}

int dfs_pgcat_set_pinned(struct dfs_catalog *cat, const uint8_t id[16], bool on,
			 const struct dfs_who *actor)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	const char *action = NULL;
	struct dfs_record r;
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_record_get(c, id, true, &r);
	if (!rc)
		action = dfs_catalog_plan_pin(&r, on);
	if (action) {
		rc = row_put(c, &r, NULL);
		if (!rc)
			rc = dfs_pgcat_event(c, &r, action, actor);
	}
	return dfs_pgcat_end(c, rc);
}

int dfs_pgcat_note(struct dfs_catalog *cat, const struct dfs_record *rec,
		   const char *action, const struct dfs_who *actor)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc;

	rc = dfs_pgcat_begin(c);
	if (rc)
		return rc;
	rc = dfs_pgcat_event(c, rec, action, actor);
	return dfs_pgcat_end(c, rc);
}

int dfs_pgcat_get(struct dfs_catalog *cat, const uint8_t id[16],
		  struct dfs_record *rec)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_record r;
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pgcat_record_get(c, id, false, &r);
	dfs_pgcat_unlock(c);
	if (!rc)
		*rec = r;
	return rc;
}

int dfs_pgcat_get_seq(struct dfs_catalog *cat, uint64_t seq,
		      struct dfs_record *rec)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	struct dfs_pg_params p;
	struct dfs_record r;
	const char *body;
	PGresult *res;
	size_t len;
	int rc;

	if (seq > INT64_MAX)
		return -ENOENT;
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)seq);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &get_by_seq, &p, &res);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -ENOENT;
	}
	body = dfs_pg_bytes(res, 0, 0, &len);
	rc = dfs_record_decode(body, len, &r);
	PQclear(res);
	if (!rc)
		*rec = r;
	return rc;
}
