/* lmdb/query — pages of deployments and id prefixes (see catalog.h). */
#include <errno.h>
#include <string.h>

#include "lmdb_impl.h"
#include "isotime.h"
#include "uuid7.h"

/* A walk backwards over ids in [lo, hi) of one index key, or of records. */
struct walk {
	MDB_cursor *cur;
	bool dup; /* an index (dupsort) rather than the records table */
	MDB_val key;
	uint8_t lo[DFS_LMDB_IDX_LEN], hi[DFS_LMDB_IDX_LEN];
	bool has_lo, has_hi;
};

static int walk_first(struct walk *w, MDB_val *k, MDB_val *v)
{
	int rc;

	*k = w->key;
	if (w->dup) {
		*v = (MDB_val){DFS_LMDB_IDX_LEN, w->hi};
		rc = w->has_hi
			     ? mdb_cursor_get(w->cur, k, v, MDB_GET_BOTH_RANGE)
			     : MDB_NOTFOUND;
		if (rc == 0)
			return mdb_cursor_get(w->cur, k, v, MDB_PREV_DUP);
		if (rc != MDB_NOTFOUND)
			return rc;
		*k = w->key;
		rc = mdb_cursor_get(w->cur, k, v, MDB_SET_KEY);
		return rc ? rc : mdb_cursor_get(w->cur, k, v, MDB_LAST_DUP);
	}
	*k = (MDB_val){16, w->hi};
	rc = w->has_hi ? mdb_cursor_get(w->cur, k, v, MDB_SET_RANGE)
		       : MDB_NOTFOUND;
	if (rc == 0)
		return mdb_cursor_get(w->cur, k, v, MDB_PREV);
	return rc == MDB_NOTFOUND ? mdb_cursor_get(w->cur, k, v, MDB_LAST) : rc;
}

/* The id at the cursor, or NULL once below the range. */
static const uint8_t *walk_id(const struct walk *w, const MDB_val *k,
			      const MDB_val *v)
{
	const uint8_t *id = w->dup ? v->mv_data : k->mv_data;

	if (w->has_lo && memcmp(id, w->lo, 16) < 0)
		return NULL;
	return id;
}

static int walk_next(struct walk *w, MDB_val *k, MDB_val *v)
{
	return mdb_cursor_get(w->cur, k, v, w->dup ? MDB_PREV_DUP : MDB_PREV);
}

static int open_walk(struct dfs_lmdb *st, MDB_txn *txn,
		     const struct dfs_query *q, char *keybuf, struct walk *w)
{
	MDB_dbi dbi;

	memset(w, 0, sizeof(*w));
	w->dup = q->project || q->has_status;
	if (q->project && q->has_status) {
		dfs_lmdb_pstatus_key(q->project, q->status, keybuf);
		dbi = st->by_pstatus;
	} else if (q->project) {
		strcpy(keybuf, q->project);
		dbi = st->by_project;
	} else if (q->has_status) {
		strcpy(keybuf, dfs_status_name(q->status));
		dbi = st->by_status;
	} else {
		keybuf[0] = '\0';
		dbi = st->records;
	}
	w->key = dfs_lmdb_sval(keybuf);
	if (q->since_ms != DFS_TIME_NONE && q->since_ms >= 0) {
		dfs_uuid7_floor((uint64_t)q->since_ms, w->lo);
		w->lo[6] = 0; /* below every version-7 id of that ms */
		w->has_lo = true;
	}
	if (q->until_ms != DFS_TIME_NONE && q->until_ms >= 0) {
		dfs_uuid7_floor((uint64_t)q->until_ms + 1, w->hi);
		w->hi[6] = 0;
		w->has_hi = true;
	}
	return dfs_lmdb_err(mdb_cursor_open(txn, dbi, &w->cur));
}

/* Matches without reading records: O(1) when there is no time range. */
static int count(struct dfs_lmdb *st, MDB_txn *txn, struct walk *w,
		 uint64_t *total)
{
	MDB_val k, v;
	uint64_t n = 0;
	MDB_stat ms;
	size_t c;
	int rc;

	if (!w->has_lo && !w->has_hi) {
		if (!w->dup) {
			rc = mdb_stat(txn, st->records, &ms);
			*total = ms.ms_entries;
			return dfs_lmdb_err(rc);
		}
		k = w->key;
		rc = mdb_cursor_get(w->cur, &k, &v, MDB_SET_KEY);
		if (rc == MDB_NOTFOUND) {
			*total = 0;
			return 0;
		}
		if (!rc)
			rc = mdb_cursor_count(w->cur, &c);
		*total = c;
		return dfs_lmdb_err(rc);
	}
	for (rc = walk_first(w, &k, &v); rc == 0 && walk_id(w, &k, &v);
	     rc = walk_next(w, &k, &v))
		n++;
	*total = n;
	return rc == MDB_NOTFOUND ? 0 : dfs_lmdb_err(rc);
}

int dfs_lmdb_query(struct dfs_catalog *cat, const struct dfs_query *q,
		   int (*fn)(void *arg, const struct dfs_record *rec),
		   void *arg, uint64_t *total)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	char keybuf[DFS_PROJECT_MAX + 16];
	struct dfs_record rec;
	uint64_t skipped = 0, taken = 0;
	const uint8_t *id;
	struct walk w;
	MDB_val k, v;
	MDB_txn *txn;
	int rc, mrc;

	if (q->project && !dfs_name_is_project(q->project))
		return -EINVAL;
	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = open_walk(st, txn, q, keybuf, &w);
	if (rc)
		goto out_abort;
	if (total)
		rc = count(st, txn, &w, total);
	for (mrc = rc ? MDB_NOTFOUND : walk_first(&w, &k, &v); mrc == 0;
	     mrc = walk_next(&w, &k, &v)) {
		id = walk_id(&w, &k, &v);
		if (!id || (q->limit && taken >= q->limit))
			break;
		if (skipped < q->offset) {
			skipped++;
			continue;
		}
		rc = dfs_lmdb_record_get(st, txn, id, &rec);
		if (!rc)
			rc = fn(arg, &rec);
		if (rc)
			break;
		taken++;
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = dfs_lmdb_err(mrc);
	mdb_cursor_close(w.cur);
out_abort:
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_find_prefix(struct dfs_catalog *cat, const uint8_t lo[16],
			 unsigned nib, uint8_t id[16])
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	uint8_t found[16];
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_txn *txn;
	int rc, matches = 0;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->records, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		return dfs_lmdb_err(rc);
	}
	k = (MDB_val){16, (void *)lo};
	for (int op = MDB_SET_RANGE; rc == 0 && matches < 2; op = MDB_NEXT) {
		const uint8_t *key;
		bool same = true;

		rc = mdb_cursor_get(cur, &k, &v, op);
		if (rc)
			break;
		key = k.mv_data;
		for (unsigned i = 0; i < nib && same; i++) {
			unsigned a = i % 2 ? key[i / 2] & 15 : key[i / 2] >> 4;
			unsigned b = i % 2 ? lo[i / 2] & 15 : lo[i / 2] >> 4;

			same = a == b;
		}
		if (!same)
			break;
		if (matches++ == 0)
			memcpy(found, key, 16);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		return dfs_lmdb_err(rc);
	if (matches != 1)
		return matches == 0 ? -ENOENT : -ENOTUNIQ;
	memcpy(id, found, 16);
	return 0;
}
