/* catalog_scan — dfs_catalog_scan (see catalog.h): cursor walks. */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "catalog_impl.h"

#define IDX_LEN 24

/* Walk by_seq (all deployments: seq order is id order). */
static int scan_all(struct dfs_store *st, MDB_cursor *cur, uint64_t after,
		    dfs_scan_fn fn, void *arg)
{
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	struct dfs_entry e = {0};
	int rc, mrc;

	if (after) {
		dfs_store_u64_key(after, key);
		mrc = mdb_cursor_get(cur, &k, &v, MDB_SET);
		if (mrc)
			return mrc == MDB_NOTFOUND ? -ENOENT
						   : dfs_store_lmdb_err(mrc);
	}
	dfs_store_u64_key(after + 1, key);
	k = (MDB_val){8, key};
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size != 16)
			return -EBADMSG;
		e.seq = dfs_store_u64_val(k.mv_data);
		memcpy(e.id, v.mv_data, 16);
		rc = fn(arg, &e);
		if (rc)
			return rc;
	}
	return dfs_store_lmdb_err(mrc == MDB_NOTFOUND ? 0 : mrc);
}

/* Walk the dups of @key in a (key -> id+seq) index. */
static int scan_index(struct dfs_store *st, MDB_txn *txn, MDB_cursor *cur,
		      const char *key, uint64_t after, dfs_scan_fn fn,
		      void *arg)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	struct dfs_entry e = {0};
	uint8_t pos[IDX_LEN];
	int rc, mrc;

	if (after == 0) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
		if (mrc == 0)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST_DUP);
	} else {
		uint8_t skey[8];
		MDB_val sk = {8, skey}, sv;

		dfs_store_u64_key(after, skey);
		mrc = mdb_get(txn, st->by_seq, &sk, &sv);
		if (mrc)
			return mrc == MDB_NOTFOUND ? -ENOENT
						   : dfs_store_lmdb_err(mrc);
		memcpy(pos, sv.mv_data, 16);
		dfs_store_u64_key(after, pos + 16);
		v = (MDB_val){IDX_LEN, pos};
		mrc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
		if (mrc == 0 && v.mv_size == IDX_LEN &&
		    memcmp(v.mv_data, pos, IDX_LEN) == 0)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
	}
	for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != IDX_LEN)
			return -EBADMSG;
		memcpy(e.id, v.mv_data, 16);
		e.seq = dfs_store_u64_val((uint8_t *)v.mv_data + 16);
		rc = fn(arg, &e);
		if (rc)
			return rc;
	}
	return mrc == MDB_NOTFOUND ? 0 : dfs_store_lmdb_err(mrc);
}

static int project_pseq(const MDB_val *v, struct dfs_entry *e)
{
	json_t *o = json_loadb(v->mv_data, v->mv_size, 0, NULL);
	int rc = -EBADMSG, hidden = 0;
	json_int_t n;

	if (o &&
	    json_unpack(o, "{s:I, s?b}", "pseq", &n, "hidden", &hidden) == 0) {
		e->seq = (uint64_t)n;
		e->hidden = hidden != 0;
		rc = 0;
	}
	json_decref(o);
	return rc;
}

static int scan_projects(struct dfs_store *st, MDB_txn *txn, MDB_cursor *cur,
			 uint64_t after, dfs_scan_fn fn, void *arg)
{
	char name[DFS_PROJECT_MAX + 1];
	struct dfs_entry e = {0};
	MDB_val k, v;
	int rc, mrc;

	if (after == 0) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	} else {
		uint8_t skey[8];
		MDB_val sk = {8, skey};

		dfs_store_u64_key(after, skey);
		mrc = mdb_get(txn, st->project_seq, &sk, &k);
		if (mrc)
			return mrc == MDB_NOTFOUND ? -ENOENT
						   : dfs_store_lmdb_err(mrc);
		mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
		if (mrc == 0)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > DFS_PROJECT_MAX)
			return -EBADMSG;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		rc = project_pseq(&v, &e);
		if (rc)
			return rc;
		e.name = name;
		rc = fn(arg, &e);
		if (rc)
			return rc;
	}
	return mrc == MDB_NOTFOUND ? 0 : dfs_store_lmdb_err(mrc);
}

int dfs_catalog_scan(struct dfs_store *st, enum dfs_scan scope, const char *key,
		     uint64_t after, dfs_scan_fn fn, void *arg)
{
	MDB_txn *txn;
	int rc;

	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_catalog_scan_txn(st, txn, scope, key, after, fn, arg);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_catalog_scan_txn(struct dfs_store *st, MDB_txn *txn,
			 enum dfs_scan scope, const char *key, uint64_t after,
			 dfs_scan_fn fn, void *arg)
{
	enum dfs_status status;
	MDB_cursor *cur;
	MDB_dbi dbi;
	int rc;

	switch (scope) {
	case DFS_SCAN_ALL:
		dbi = st->by_seq;
		break;
	case DFS_SCAN_PROJECT:
		dbi = st->by_project;
		break;
	case DFS_SCAN_STATUS:
		if (dfs_status_parse(key, &status) != 0)
			return -EINVAL;
		dbi = st->by_status;
		break;
	case DFS_SCAN_PROJECTS:
		dbi = st->projects;
		break;
	default:
		return -EINVAL;
	}
	rc = dfs_store_lmdb_err(mdb_cursor_open(txn, dbi, &cur));
	if (rc)
		return rc;
	if (scope == DFS_SCAN_ALL)
		rc = scan_all(st, cur, after, fn, arg);
	else if (scope == DFS_SCAN_PROJECTS)
		rc = scan_projects(st, txn, cur, after, fn, arg);
	else
		rc = scan_index(st, txn, cur, key, after, fn, arg);
	mdb_cursor_close(cur);
	return rc;
}
