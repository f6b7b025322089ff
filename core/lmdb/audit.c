/* lmdb/audit — the audit trail in LMDB: offset -> line (see audit.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmdb_impl.h"
#include "isotime.h"

static int audit_end(struct dfs_lmdb *st, MDB_txn *txn, uint64_t *end)
{
	MDB_val k = dfs_lmdb_sval("audit_end"), v;
	int rc = mdb_get(txn, st->meta, &k, &v);

	if (rc == MDB_NOTFOUND) {
		*end = 0;
		return 0;
	}
	if (rc)
		return dfs_lmdb_err(rc);
	*end = v.mv_size == 8 ? dfs_lmdb_u64_val(v.mv_data) : 0;
	return 0;
}

/* Append one event line; its seq comes from the counter "audit_seq". */
static int append_event(struct dfs_lmdb *st, MDB_txn *txn,
			const struct dfs_record *rec, const char *project,
			const char *action, uint64_t records,
			const struct dfs_who *actor)
{
	uint8_t key[8], endbuf[8];
	uint64_t seq, end = 0;
	MDB_val k = {8, key}, v;
	char *line;
	size_t len;
	int rc;

	rc = dfs_lmdb_counter(st, txn, "audit_seq", &seq);
	if (!rc)
		rc = audit_end(st, txn, &end);
	if (!rc)
		rc = rec ? dfs_audit_line(seq, dfs_time_now_ms(), rec, action,
					  actor, &line, &len)
			 : dfs_audit_project_line(seq, dfs_time_now_ms(),
						  project, action, records,
						  actor, &line, &len);
	if (rc)
		return rc;
	dfs_lmdb_u64_key(end, key);
	v = (MDB_val){len, line};
	rc = dfs_lmdb_err(mdb_put(txn, st->audit, &k, &v, MDB_APPEND));
	free(line);
	if (rc)
		return rc;
	dfs_lmdb_u64_key(end + len, endbuf);
	k = dfs_lmdb_sval("audit_end");
	v = (MDB_val){8, endbuf};
	return dfs_lmdb_err(mdb_put(txn, st->meta, &k, &v, 0));
}

int dfs_lmdb_audit_append(struct dfs_lmdb *st, MDB_txn *txn,
			  const struct dfs_record *rec, const char *action,
			  const struct dfs_who *actor)
{
	return append_event(st, txn, rec, NULL, action, 0, actor);
}

int dfs_lmdb_audit_append_project(struct dfs_lmdb *st, MDB_txn *txn,
				  const char *project, const char *action,
				  uint64_t records, const struct dfs_who *actor)
{
	return append_event(st, txn, NULL, project, action, records, actor);
}

int dfs_lmdb_audit_size(struct dfs_catalog *cat, uint64_t *size)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = audit_end(st, txn, size);
	mdb_txn_abort(txn);
	return rc;
}

/* Position @cur on the line holding byte @off. */
static int seek_line(MDB_cursor *cur, uint64_t off, MDB_val *k, MDB_val *v)
{
	uint8_t key[8];
	int rc;

	dfs_lmdb_u64_key(off, key);
	*k = (MDB_val){8, key};
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0 && dfs_lmdb_u64_val(k->mv_data) == off)
		return 0;
	if (rc == 0)
		return mdb_cursor_get(cur, k, v, MDB_PREV);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	return rc;
}

int dfs_lmdb_audit_read(struct dfs_catalog *cat, uint64_t off, void *buf,
			size_t n, size_t *got)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	size_t done = 0;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->audit, &cur);
	if (rc)
		goto out_abort;
	rc = seek_line(cur, off, &k, &v);
	while (rc == 0 && done < n) {
		uint64_t start = dfs_lmdb_u64_val(k.mv_data);
		uint64_t skip = off + done > start ? off + done - start : 0;

		if (skip < v.mv_size) {
			size_t take = v.mv_size - skip;

			if (take > n - done)
				take = n - done;
			memcpy((char *)buf + done, (char *)v.mv_data + skip,
			       take);
			done += take;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;
out_abort:
	mdb_txn_abort(txn);
	if (rc)
		return dfs_lmdb_err(rc);
	*got = done;
	return 0;
}

int dfs_lmdb_audit_scan(struct dfs_catalog *cat, uint64_t from,
			int (*fn)(void *arg, const struct dfs_event *e),
			void *arg)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	struct dfs_event e;
	MDB_cursor *cur;
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	MDB_txn *txn;
	int rc, mrc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	mrc = mdb_cursor_open(txn, st->audit, &cur);
	if (mrc) {
		mdb_txn_abort(txn);
		return dfs_lmdb_err(mrc);
	}
	dfs_lmdb_u64_key(from, key);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		rc = dfs_audit_decode(dfs_lmdb_u64_val(k.mv_data), v.mv_data,
				      v.mv_size, &e);
		if (!rc)
			rc = fn(arg, &e);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND ? 0 : dfs_lmdb_err(mrc);
}
