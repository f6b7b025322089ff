/* lmdb/project — projects in the LMDB catalog (see catalog.h). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmdb_impl.h"
#include "catalog_plan.h"
#include "isotime.h"
#include "uuid7.h"

/* ---- projects ---------------------------------------------------------- */

static int project_decode(const MDB_val *v, struct dfs_project *p)
{
	json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL);
	json_int_t pseq, uid, gid, mode, created, ctime;
	const char *name, *cur = NULL;
	struct dfs_project r = {0};
	int rc = -EBADMSG, hidden = 0;

	if (!o)
		return -EBADMSG;
	if (json_unpack(o, "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s?s, s?b}",
			"name", &name, "pseq", &pseq, "uid", &uid, "gid", &gid,
			"mode", &mode, "created", &created, "ctime", &ctime,
			"current", &cur, "hidden", &hidden) != 0 ||
	    strlen(name) > DFS_PROJECT_MAX)
		goto out;
	strcpy(r.name, name);
	r.pseq = (uint64_t)pseq;
	r.uid = (uint32_t)uid;
	r.gid = (uint32_t)gid;
	r.mode = (uint32_t)mode;
	r.created_ms = created;
	r.ctime_ms = ctime;
	r.has_current = cur != NULL;
	r.hidden = hidden != 0;
	if (cur && dfs_uuid7_parse(cur, r.current) != 0)
		goto out;
	*p = r;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int dfs_lmdb_project_put(struct dfs_lmdb *st, MDB_txn *txn,
			 const struct dfs_project *p)
{
	char cur[37];
	MDB_val k = dfs_lmdb_sval(p->name), v;
	json_t *o;
	char *s;
	int rc;

	if (p->has_current)
		dfs_uuid7_format(p->current, cur);
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s*, s:b}", "name",
		      p->name, "pseq", (json_int_t)p->pseq, "uid",
		      (json_int_t)p->uid, "gid", (json_int_t)p->gid, "mode",
		      (json_int_t)p->mode, "created", (json_int_t)p->created_ms,
		      "ctime", (json_int_t)p->ctime_ms, "current",
		      p->has_current ? cur : NULL, "hidden", p->hidden);
	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	v = dfs_lmdb_sval(s);
	rc = dfs_lmdb_err(mdb_put(txn, st->projects, &k, &v, 0));
	free(s);
	return rc;
}

int dfs_lmdb_project_load(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
			  struct dfs_project *p)
{
	MDB_val k = dfs_lmdb_sval(name), v;
	int rc = mdb_get(txn, st->projects, &k, &v);

	return rc ? dfs_lmdb_err(rc) : project_decode(&v, p);
}

/*
 * Get @name for a new deployment, creating it with @attr when missing; a
 * hidden project shows in deploy/ again.
 */
int dfs_lmdb_project_ensure(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
			    const struct dfs_project_attr *attr,
			    struct dfs_project *p)
{
	struct dfs_project np;
	uint8_t key[8];
	MDB_val k = {8, key}, v = dfs_lmdb_sval(name);
	int rc;

	rc = dfs_lmdb_project_load(st, txn, name, p);
	if (rc == 0 && p->hidden) {
		p->hidden = false;
		return dfs_lmdb_project_put(st, txn, p);
	}
	if (rc != -ENOENT)
		return rc;
	dfs_catalog_plan_new_project(&np, name, attr, dfs_time_now_ms());
	rc = dfs_lmdb_counter(st, txn, "next_pseq", &np.pseq);
	if (rc)
		return rc;
	dfs_lmdb_u64_key(np.pseq, key);
	rc = dfs_lmdb_err(mdb_put(txn, st->project_seq, &k, &v, 0));
	if (!rc)
		rc = dfs_lmdb_project_put(st, txn, &np);
	if (!rc)
		*p = np;
	return rc;
}

int dfs_lmdb_project_get(struct dfs_catalog *cat, const char *name,
			 struct dfs_project *p)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	if (!dfs_name_is_project(name))
		return -ENOENT;
	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_project_load(st, txn, name, p);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_project_get_seq(struct dfs_catalog *cat, uint64_t pseq,
			     struct dfs_project *p)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	char name[DFS_PROJECT_MAX + 1];
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	MDB_txn *txn;
	int rc;

	dfs_lmdb_u64_key(pseq, key);
	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_err(mdb_get(txn, st->project_seq, &k, &v));
	if (!rc && v.mv_size > DFS_PROJECT_MAX)
		rc = -EBADMSG;
	if (!rc) {
		memcpy(name, v.mv_data, v.mv_size);
		name[v.mv_size] = '\0';
		rc = dfs_lmdb_project_load(st, txn, name, p);
	}
	/* A removed project's name may have been taken again since. */
	if (!rc && p->pseq != pseq)
		rc = -ENOENT;
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_project_set_attr(struct dfs_catalog *cat, const char *name,
			      const struct dfs_project_attr *attr)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	struct dfs_project p;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_project_load(st, txn, name, &p);
	if (!rc) {
		dfs_catalog_plan_attr(&p, attr, dfs_time_now_ms());
		rc = dfs_lmdb_project_put(st, txn, &p);
	}
	return dfs_lmdb_end(txn, rc);
}

int dfs_lmdb_project_hide(struct dfs_catalog *cat, const char *name)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	struct dfs_project p;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_project_load(st, txn, name, &p);
	if (!rc)
		rc = dfs_catalog_plan_hide(&p);
	if (!rc)
		rc = dfs_lmdb_project_put(st, txn, &p);
	return dfs_lmdb_end(txn, rc);
}

/* ---- counts and removal ------------------------------------------------ */

/* The number of ids under @key in the dupsort index @dbi. */
static int index_count(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *n)
{
	MDB_val k = dfs_lmdb_sval(key), v;
	MDB_cursor *cur;
	size_t count = 0;
	int rc;

	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return dfs_lmdb_err(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	if (rc == 0)
		rc = mdb_cursor_count(cur, &count);
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		return dfs_lmdb_err(rc);
	*n = rc ? 0 : (uint64_t)count;
	return 0;
}

static int status_count(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
			enum dfs_status status, uint64_t *n)
{
	char key[DFS_PROJECT_MAX + 16];

	dfs_lmdb_pstatus_key(name, status, key);
	return index_count(txn, st->by_pstatus, key, n);
}

static int count_txn(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
		     struct dfs_project_counts *c)
{
	int rc;

	rc = index_count(txn, st->by_project, name, &c->total);
	if (!rc)
		rc = status_count(st, txn, name, DFS_STATUS_PENDING,
				  &c->pending);
	if (!rc)
		rc = status_count(st, txn, name, DFS_STATUS_SUCCESS,
				  &c->success);
	if (!rc)
		rc = status_count(st, txn, name, DFS_STATUS_FAILED, &c->failed);
	return rc;
}

int dfs_lmdb_project_count(struct dfs_catalog *cat, const char *name,
			   struct dfs_project_counts *out)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	struct dfs_project_counts c = {0};
	struct dfs_project p;
	MDB_txn *txn;
	int rc;

	if (!dfs_name_is_project(name))
		return -ENOENT;
	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_project_load(st, txn, name, &p);
	if (!rc)
		rc = count_txn(st, txn, name, &c);
	mdb_txn_abort(txn);
	if (!rc)
		*out = c;
	return rc;
}

/* Whether the project may go, judged again in every batch. */
static int may_remove(struct dfs_lmdb *st, MDB_txn *txn, struct dfs_removal *rm,
		      const struct dfs_project *p)
{
	struct dfs_project_counts c;
	int rc;

	rc = count_txn(st, txn, rm->name, &c);
	return rc ? rc : dfs_catalog_plan_remove(rm->actor, p, &c, rm->force);
}

/* The first DFS_REMOVE_BATCH ids of the project, into rm->ids. */
static int collect_ids(struct dfs_lmdb *st, MDB_txn *txn,
		       struct dfs_removal *rm)
{
	MDB_val k = dfs_lmdb_sval(rm->name), v;
	MDB_cursor *cur;
	int rc;

	rm->n = 0;
	rc = mdb_cursor_open(txn, st->by_project, &cur);
	if (rc)
		return dfs_lmdb_err(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST_DUP);
	for (; rc == 0 && rm->n < DFS_REMOVE_BATCH;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != DFS_LMDB_IDX_LEN) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(rm->ids[rm->n++], v.mv_data, 16);
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : dfs_lmdb_err(rc);
}

/* Once the last record is out: the project, its policy, the event. */
static int remove_project_txn(struct dfs_lmdb *st, MDB_txn *txn,
			      struct dfs_removal *rm)
{
	MDB_val k = dfs_lmdb_sval(rm->name);
	int rc;

	/*
	 * project_seq keeps pseq -> name: a listing positioned on the
	 * removed project resumes after its name (see catalog_scan.c), and
	 * dfs_project_get_seq checks the pseq, so the old inode stays gone.
	 */
	rc = dfs_lmdb_err(mdb_del(txn, st->projects, &k, NULL));
	if (!rc)
		rc = dfs_lmdb_policy_forget(st, txn, rm->name);
	if (!rc)
		rc = dfs_lmdb_audit_append_project(
			st, txn, rm->name, "project_removed",
			rm->removed + rm->n, rm->actor);
	return rc;
}

struct in_txn {
	struct dfs_lmdb *st;
	MDB_txn *txn;
};

static int delete_one(void *ctx, const uint8_t id[16], struct dfs_record *old,
		      bool *last_ref)
{
	struct in_txn *t = ctx;

	return dfs_lmdb_delete_txn(t->st, t->txn, id, old, last_ref);
}

int dfs_lmdb_project_remove_batch(struct dfs_catalog *cat,
				  struct dfs_removal *rm)
{
	struct in_txn t = {dfs_lmdb(cat), NULL};
	struct dfs_project p;
	int rc;

	rc = dfs_lmdb_txn(t.st, true, &t.txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_project_load(t.st, t.txn, rm->name, &p);
	if (!rc)
		rc = may_remove(t.st, t.txn, rm, &p);
	if (!rc)
		rc = collect_ids(t.st, t.txn, rm);
	if (!rc)
		rc = dfs_removal_delete(rm, delete_one, &t);
	if (!rc && rm->done) {
		rc = remove_project_txn(t.st, t.txn, rm);
	} else if (!rc && p.has_current) {
		/* Its records are going: current names none of them. */
		p.has_current = false;
		rc = dfs_lmdb_project_put(t.st, t.txn, &p);
	}
	return dfs_lmdb_end(t.txn, rc);
}
