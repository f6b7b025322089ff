/*
 * lmdb_policy — retention policies in meta ("retention", and
 * "retention/<project>") and named settings (see catalog.h).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmdb_impl.h"

static void policy_key(const char *project, char key[DFS_PROJECT_MAX + 16])
{
	if (project)
		snprintf(key, DFS_PROJECT_MAX + 16, "retention/%s", project);
	else
		snprintf(key, DFS_PROJECT_MAX + 16, "retention");
}

static bool policy_empty(const struct dfs_retention *p)
{
	return !p->keep_success && !p->keep_days && !p->max_bytes;
}

static int get_txn(struct dfs_lmdb *st, MDB_txn *txn, const char *project,
		   struct dfs_retention *pol, bool *set)
{
	char key[DFS_PROJECT_MAX + 16];
	json_int_t ks = 0, kd = 0, mb = 0;
	MDB_val k, v;
	json_t *o;
	int rc;

	policy_key(project, key);
	k = dfs_lmdb_sval(key);
	memset(pol, 0, sizeof(*pol));
	*set = false;
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return dfs_lmdb_err(rc);
	o = json_loadb(v.mv_data, v.mv_size, 0, NULL);
	rc = o && json_unpack(o, "{s:I, s:I, s:I}", "keep_success", &ks,
			      "keep_days", &kd, "max_bytes", &mb) == 0
		     ? 0
		     : -EBADMSG;
	json_decref(o);
	if (rc)
		return rc;
	pol->keep_success = (uint64_t)ks;
	pol->keep_days = (uint64_t)kd;
	pol->max_bytes = (uint64_t)mb;
	*set = true;
	return 0;
}

int dfs_lmdb_policy_forget(struct dfs_lmdb *st, MDB_txn *txn,
			   const char *project)
{
	char key[DFS_PROJECT_MAX + 16];
	MDB_val k;
	int rc;

	policy_key(project, key);
	k = dfs_lmdb_sval(key);
	rc = mdb_del(txn, st->meta, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : dfs_lmdb_err(rc);
}

int dfs_lmdb_policy_get(struct dfs_catalog *cat, const char *project,
			struct dfs_retention *pol, bool *set)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = get_txn(st, txn, project, pol, set);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_policy_set(struct dfs_catalog *cat, const char *project,
			const struct dfs_retention *pol)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	char key[DFS_PROJECT_MAX + 16], *s = NULL;
	MDB_val k, v;
	MDB_txn *txn;
	json_t *o;
	int rc;

	policy_key(project, key);
	k = dfs_lmdb_sval(key);
	if (!policy_empty(pol)) {
		o = json_pack("{s:I, s:I, s:I}", "keep_success",
			      (json_int_t)pol->keep_success, "keep_days",
			      (json_int_t)pol->keep_days, "max_bytes",
			      (json_int_t)pol->max_bytes);
		s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!s)
			return -ENOMEM;
	}
	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		goto out;
	if (s) {
		v = dfs_lmdb_sval(s);
		rc = mdb_put(txn, st->meta, &k, &v, 0);
	} else {
		rc = mdb_del(txn, st->meta, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	rc = dfs_lmdb_end(txn, dfs_lmdb_err(rc));
out:
	free(s);
	return rc;
}

int dfs_lmdb_setting_get(struct dfs_catalog *cat, const char *key, char **val)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_val k = dfs_lmdb_sval(key), v;
	MDB_txn *txn;
	char *s = NULL;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_err(mdb_get(txn, st->meta, &k, &v));
	if (!rc) {
		s = strndup(v.mv_data, v.mv_size);
		if (!s)
			rc = -ENOMEM;
	}
	mdb_txn_abort(txn);
	if (!rc)
		*val = s;
	return rc;
}

int dfs_lmdb_setting_set(struct dfs_catalog *cat, const char *key,
			 const char *val)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_val k = dfs_lmdb_sval(key), v = dfs_lmdb_sval(val);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	return dfs_lmdb_end(txn,
			    dfs_lmdb_err(mdb_put(txn, st->meta, &k, &v, 0)));
}
