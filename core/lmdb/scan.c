/* lmdb/scan — dfs_catalog_scan (see catalog.h): cursor walks. */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "lmdb_impl.h"

#define IDX_LEN 24

/* -ENOENT when no record ever had seq @after (removed ones had). */
static int seq_given(struct dfs_lmdb *st, MDB_txn *txn, uint64_t after)
{
	MDB_val k = dfs_lmdb_sval("next_seq"), v;
	int mrc = mdb_get(txn, st->meta, &k, &v);

	if (mrc == MDB_NOTFOUND)
		return -ENOENT;
	if (mrc)
		return dfs_lmdb_err(mrc);
	if (v.mv_size != 8)
		return -EBADMSG;
	return after < dfs_lmdb_u64_val(v.mv_data) ? 0 : -ENOENT;
}

/*
 * Walk by_seq (all deployments: seq order is id order). A removed @after
 * needs no lookup: the walk starts at the next seq anyway.
 */
static int scan_all(struct dfs_lmdb *st, MDB_txn *txn, MDB_cursor *cur,
		    uint64_t after, dfs_scan_fn fn, void *arg)
{
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	struct dfs_entry e = {0};
	int rc, mrc;

	if (after && (rc = seq_given(st, txn, after)) != 0)
		return rc;
	dfs_lmdb_u64_key(after + 1, key);
	k = (MDB_val){8, key};
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size != 16)
			return -EBADMSG;
		e.seq = dfs_lmdb_u64_val(k.mv_data);
		memcpy(e.id, v.mv_data, 16);
		rc = fn(arg, &e);
		if (rc)
			return rc;
	}
	return dfs_lmdb_err(mrc == MDB_NOTFOUND ? 0 : mrc);
}

/*
 * The index position (id, seq) of the record @after, or when it was
 * removed, of the first record after it: ids and seqs grow together, so
 * whatever an index holds after the removed one comes at or after that.
 * Returns MDB_NOTFOUND when nothing follows.
 */
static int resume_pos(struct dfs_lmdb *st, MDB_txn *txn, uint64_t after,
		      uint8_t pos[IDX_LEN])
{
	uint8_t skey[8];
	MDB_val sk = {8, skey}, sv;
	MDB_cursor *cur;
	int mrc;

	dfs_lmdb_u64_key(after, skey);
	mrc = mdb_cursor_open(txn, st->by_seq, &cur);
	if (mrc)
		return mrc;
	mrc = mdb_cursor_get(cur, &sk, &sv, MDB_SET_RANGE);
	if (mrc == 0 && (sk.mv_size != 8 || sv.mv_size != 16))
		mrc = MDB_CORRUPTED;
	if (mrc == 0) {
		memcpy(pos, sv.mv_data, 16);
		memcpy(pos + 16, sk.mv_data, 8);
	}
	mdb_cursor_close(cur);
	return mrc;
}

/*
 * Hand @fn the index entries from where @cur stands (@mrc: how the
 * positioning went), stepping with @step (MDB_NEXT_DUP, MDB_PREV_DUP).
 */
static int walk_dups(MDB_cursor *cur, MDB_val *k, MDB_val *v, int mrc,
		     MDB_cursor_op step, dfs_scan_fn fn, void *arg)
{
	struct dfs_entry e = {0};
	int rc;

	for (; mrc == 0; mrc = mdb_cursor_get(cur, k, v, step)) {
		if (v->mv_size != IDX_LEN)
			return -EBADMSG;
		memcpy(e.id, v->mv_data, 16);
		e.seq = dfs_lmdb_u64_val((uint8_t *)v->mv_data + 16);
		rc = fn(arg, &e);
		if (rc)
			return rc;
	}
	return mrc == MDB_NOTFOUND ? 0 : dfs_lmdb_err(mrc);
}

/* Walk the dups of @key in a (key -> id+seq) index. */
static int scan_index(struct dfs_lmdb *st, MDB_txn *txn, MDB_cursor *cur,
		      const char *key, uint64_t after, dfs_scan_fn fn,
		      void *arg)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	uint8_t pos[IDX_LEN];
	int rc, mrc;

	if (after == 0) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
		if (mrc == 0)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST_DUP);
	} else {
		rc = seq_given(st, txn, after);
		if (rc)
			return rc;
		mrc = resume_pos(st, txn, after, pos);
		if (mrc == MDB_NOTFOUND)
			return 0;
		if (mrc)
			return dfs_lmdb_err(mrc);
		v = (MDB_val){IDX_LEN, pos};
		mrc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
		/* Listed already: @after itself, when it is still there. */
		if (mrc == 0 && v.mv_size == IDX_LEN &&
		    dfs_lmdb_u64_val((uint8_t *)v.mv_data + 16) == after)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
	}
	return walk_dups(cur, &k, &v, mrc, MDB_NEXT_DUP, fn, arg);
}

/* The held records of project @key, newest first (retention's walk). */
static int scan_held(MDB_cursor *cur, const char *key, dfs_scan_fn fn,
		     void *arg)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int mrc;

	mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	if (mrc == 0)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP);
	return walk_dups(cur, &k, &v, mrc, MDB_PREV_DUP, fn, arg);
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

static int scan_projects(struct dfs_lmdb *st, MDB_txn *txn, MDB_cursor *cur,
			 uint64_t after, dfs_scan_fn fn, void *arg)
{
	char name[DFS_PROJECT_MAX + 1];
	struct dfs_entry e = {0};
	MDB_val k, v;
	size_t len;
	int rc, mrc;

	if (after == 0) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	} else {
		uint8_t skey[8];
		MDB_val sk = {8, skey};

		dfs_lmdb_u64_key(after, skey);
		mrc = mdb_get(txn, st->project_seq, &sk, &k);
		if (mrc)
			return mrc == MDB_NOTFOUND ? -ENOENT
						   : dfs_lmdb_err(mrc);
		if (k.mv_size > DFS_PROJECT_MAX)
			return -EBADMSG;
		/* Its name marks the place even if it was removed since. */
		len = k.mv_size;
		memcpy(name, k.mv_data, len);
		k.mv_data = name;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (mrc == 0 && k.mv_size == len &&
		    memcmp(k.mv_data, name, len) == 0)
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
	return mrc == MDB_NOTFOUND ? 0 : dfs_lmdb_err(mrc);
}

int dfs_lmdb_scan(struct dfs_catalog *cat, enum dfs_scan scope, const char *key,
		  uint64_t after, dfs_scan_fn fn, void *arg)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_scan_txn(st, txn, scope, key, after, fn, arg);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_scan_txn(struct dfs_lmdb *st, MDB_txn *txn, enum dfs_scan scope,
		      const char *key, uint64_t after, dfs_scan_fn fn,
		      void *arg)
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
	case DFS_SCAN_HELD:
		dbi = st->by_held;
		break;
	default:
		return -EINVAL;
	}
	rc = dfs_lmdb_err(mdb_cursor_open(txn, dbi, &cur));
	if (rc)
		return rc;
	if (scope == DFS_SCAN_ALL)
		rc = scan_all(st, txn, cur, after, fn, arg);
	else if (scope == DFS_SCAN_PROJECTS)
		rc = scan_projects(st, txn, cur, after, fn, arg);
	else if (scope == DFS_SCAN_HELD)
		rc = scan_held(cur, key, fn, arg);
	else
		rc = scan_index(st, txn, cur, key, after, fn, arg);
	mdb_cursor_close(cur);
	return rc;
}
