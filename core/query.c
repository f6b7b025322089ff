/* query — see query.h. */
#include "query.h"

#include <errno.h>
#include <string.h>

#include "catalog_impl.h"
#include "isotime.h"
#include "uuid7.h"
#include "version.h"

void dfs_query_init(struct dfs_query *q)
{
	memset(q, 0, sizeof(*q));
	q->since_ms = DFS_TIME_NONE;
	q->until_ms = DFS_TIME_NONE;
}

/* A walk backwards over ids in [lo, hi) of one index key, or of records. */
struct walk {
	MDB_cursor *cur;
	bool dup; /* an index (dupsort) rather than the records table */
	MDB_val key;
	uint8_t lo[DFS_IDX_LEN], hi[DFS_IDX_LEN];
	bool has_lo, has_hi;
};

static int walk_first(struct walk *w, MDB_val *k, MDB_val *v)
{
	int rc;

	*k = w->key;
	if (w->dup) {
		*v = (MDB_val){DFS_IDX_LEN, w->hi};
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

static int open_walk(struct dfs_store *st, MDB_txn *txn,
		     const struct dfs_query *q, char *keybuf, struct walk *w)
{
	MDB_dbi dbi;

	memset(w, 0, sizeof(*w));
	w->dup = q->project || q->has_status;
	if (q->project && q->has_status) {
		dfs_catalog_pstatus_key(q->project, q->status, keybuf);
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
	w->key = dfs_catalog_sval(keybuf);
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
	return dfs_store_lmdb_err(mdb_cursor_open(txn, dbi, &w->cur));
}

/* Matches without reading records: O(1) when there is no time range. */
static int count(struct dfs_store *st, MDB_txn *txn, struct walk *w,
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
			return dfs_store_lmdb_err(rc);
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
		return dfs_store_lmdb_err(rc);
	}
	for (rc = walk_first(w, &k, &v); rc == 0 && walk_id(w, &k, &v);
	     rc = walk_next(w, &k, &v))
		n++;
	*total = n;
	return rc == MDB_NOTFOUND ? 0 : dfs_store_lmdb_err(rc);
}

int dfs_query_run(struct dfs_store *st, const struct dfs_query *q,
		  int (*fn)(void *arg, const struct dfs_record *rec), void *arg,
		  uint64_t *total)
{
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
	rc = dfs_store_txn(st, false, &txn);
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
		rc = dfs_record_get_txn(st, txn, id, &rec);
		if (!rc)
			rc = fn(arg, &rec);
		if (rc)
			break;
		taken++;
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = dfs_store_lmdb_err(mrc);
	mdb_cursor_close(w.cur);
out_abort:
	mdb_txn_abort(txn);
	return rc;
}

int dfs_query_parse_name(const char *s, enum dfs_name_kind *kind,
			 char project[DFS_PROJECT_MAX + 1], uint64_t *version)
{
	const char *at = strrchr(s, '@'), *v;
	size_t n;
	uint64_t num = 0;

	*version = 0;
	if (!at) {
		*kind = DFS_NAME_PREFIX;
		return 0;
	}
	n = (size_t)(at - s);
	if (n == 0 || n > DFS_PROJECT_MAX)
		return -EINVAL;
	memcpy(project, s, n);
	project[n] = '\0';
	if (!dfs_name_is_project(project))
		return -EINVAL;
	v = at + 1;
	if (strcmp(v, "current") == 0) {
		*kind = DFS_NAME_CURRENT;
		return 0;
	}
	if (strcmp(v, "latest") == 0) {
		*kind = DFS_NAME_LATEST;
		return 0;
	}
	if (*v < '1' || *v > '9')
		return -EINVAL;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || num > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		num = num * 10 + (uint64_t)(*v - '0');
	}
	*kind = DFS_NAME_VERSION;
	*version = num;
	return 0;
}

/* The id of <project>@current or @latest. */
static int resolve_link(struct dfs_store *st, const char *project,
			enum dfs_name_kind kind, uint8_t id[16])
{
	struct dfs_project p;
	int rc;

	if (kind == DFS_NAME_LATEST)
		return dfs_catalog_latest(st, project, id);
	rc = dfs_project_get(st, project, &p);
	if (rc)
		return rc;
	if (!p.has_current)
		return -ENOENT;
	memcpy(id, p.current, 16);
	return 0;
}

static int resolve_prefix(struct dfs_store *st, const char *prefix,
			  uint8_t id[16]);

int dfs_query_resolve(struct dfs_store *st, const char *name, uint8_t id[16])
{
	char project[DFS_PROJECT_MAX + 1];
	enum dfs_name_kind kind;
	uint64_t version;
	int rc;

	rc = dfs_query_parse_name(name, &kind, project, &version);
	if (rc)
		return rc;
	switch (kind) {
	case DFS_NAME_VERSION:
		return dfs_version_lookup(st, project, version, id, NULL);
	case DFS_NAME_CURRENT:
	case DFS_NAME_LATEST:
		return resolve_link(st, project, kind, id);
	default:
		return resolve_prefix(st, name, id);
	}
}

/* One seek to the first id at or above the prefix, then at most 2 steps. */
static int resolve_prefix(struct dfs_store *st, const char *prefix,
			  uint8_t id[16])
{
	uint8_t lo[16] = {0}, found[16];
	unsigned nib = 0;
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_txn *txn;
	int rc, matches = 0;

	for (const char *p = prefix; *p; p++) {
		int h = *p == '-' ? -2 : dfs_hex_digit(*p);

		if (h == -2)
			continue;
		if (h < 0 || nib >= 32)
			return -EINVAL;
		lo[nib / 2] |= (uint8_t)(nib % 2 ? h : h << 4);
		nib++;
	}
	if (nib < 4)
		return -EINVAL;
	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->records, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		return dfs_store_lmdb_err(rc);
	}
	k = (MDB_val){16, lo};
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
		return dfs_store_lmdb_err(rc);
	if (matches != 1)
		return matches == 0 ? -ENOENT : -ENOTUNIQ;
	memcpy(id, found, 16);
	return 0;
}
