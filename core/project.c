/* project — projects in the catalog (see catalog.h). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_impl.h"
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

int dfs_project_put_txn(struct dfs_store *st, MDB_txn *txn,
			const struct dfs_project *p)
{
	char cur[37];
	MDB_val k = dfs_catalog_sval(p->name), v;
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
	v = dfs_catalog_sval(s);
	rc = dfs_store_lmdb_err(mdb_put(txn, st->projects, &k, &v, 0));
	free(s);
	return rc;
}

int dfs_project_get_txn(struct dfs_store *st, MDB_txn *txn, const char *name,
			struct dfs_project *p)
{
	MDB_val k = dfs_catalog_sval(name), v;
	int rc = mdb_get(txn, st->projects, &k, &v);

	return rc ? dfs_store_lmdb_err(rc) : project_decode(&v, p);
}

/*
 * Get @name for a new deployment, creating it with @attr when missing; a
 * hidden project shows in deploy/ again.
 */
int dfs_project_ensure_txn(struct dfs_store *st, MDB_txn *txn, const char *name,
			   const struct dfs_project_attr *attr,
			   struct dfs_project *p)
{
	struct dfs_project np = {0};
	uint8_t key[8];
	MDB_val k = {8, key}, v = dfs_catalog_sval(name);
	int rc;

	rc = dfs_project_get_txn(st, txn, name, p);
	if (rc == 0 && p->hidden) {
		p->hidden = false;
		return dfs_project_put_txn(st, txn, p);
	}
	if (rc != -ENOENT)
		return rc;
	snprintf(np.name, sizeof(np.name), "%s", name);
	rc = dfs_catalog_counter(st, txn, "next_pseq", &np.pseq);
	if (rc)
		return rc;
	np.uid = attr ? attr->uid : 0;
	np.gid = attr ? attr->gid : 0;
	np.mode = attr ? attr->mode & 07777 : 0644;
	np.created_ms = np.ctime_ms = dfs_time_now_ms();
	dfs_store_u64_key(np.pseq, key);
	rc = dfs_store_lmdb_err(mdb_put(txn, st->project_seq, &k, &v, 0));
	if (!rc)
		rc = dfs_project_put_txn(st, txn, &np);
	if (!rc)
		*p = np;
	return rc;
}

int dfs_project_get(struct dfs_store *st, const char *name,
		    struct dfs_project *p)
{
	MDB_txn *txn;
	int rc;

	if (!dfs_name_is_project(name))
		return -ENOENT;
	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_project_get_txn(st, txn, name, p);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_project_get_seq(struct dfs_store *st, uint64_t pseq,
			struct dfs_project *p)
{
	char name[DFS_PROJECT_MAX + 1];
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	MDB_txn *txn;
	int rc;

	dfs_store_u64_key(pseq, key);
	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_store_lmdb_err(mdb_get(txn, st->project_seq, &k, &v));
	if (!rc && v.mv_size > DFS_PROJECT_MAX)
		rc = -EBADMSG;
	if (!rc) {
		memcpy(name, v.mv_data, v.mv_size);
		name[v.mv_size] = '\0';
		rc = dfs_project_get_txn(st, txn, name, p);
	}
	mdb_txn_abort(txn);
	return rc;
}

int dfs_project_set_attr(struct dfs_store *st, const char *name,
			 const struct dfs_project_attr *attr)
{
	struct dfs_project p;
	MDB_txn *txn;
	int rc;

	rc = dfs_store_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_project_get_txn(st, txn, name, &p);
	if (rc)
		goto out_abort;
	p.uid = attr->uid;
	p.gid = attr->gid;
	p.mode = attr->mode & 07777;
	p.ctime_ms = dfs_time_now_ms();
	rc = dfs_project_put_txn(st, txn, &p);
	if (rc)
		goto out_abort;
	return dfs_store_commit(txn);

out_abort:
	mdb_txn_abort(txn);
	return rc;
}

int dfs_project_hide(struct dfs_store *st, const char *name)
{
	struct dfs_project p;
	MDB_txn *txn;
	int rc;

	rc = dfs_store_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_project_get_txn(st, txn, name, &p);
	if (!rc && p.hidden)
		rc = -ENOENT;
	if (rc)
		goto out_abort;
	p.hidden = true;
	rc = dfs_project_put_txn(st, txn, &p);
	if (rc)
		goto out_abort;
	return dfs_store_commit(txn);

out_abort:
	mdb_txn_abort(txn);
	return rc;
}

bool dfs_project_may(const struct dfs_project *p, const struct dfs_caller *c,
		     unsigned want)
{
	unsigned bits;

	if (c->uid == 0)
		return true;
	if (c->uid == p->uid)
		bits = p->mode >> 6;
	else if (dfs_caller_in_group(c, p->gid))
		bits = p->mode >> 3;
	else
		bits = p->mode;
	return (bits & want) == want;
}
