/*
 * lmdb/version — per-project version numbers (see catalog.h): counters
 * in meta as "pversion/<project>", never reset; the index "by_version"
 * maps (project, version) to the id and seq, one B-tree get a lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lmdb_impl.h"

#define KEY_MAX	      (DFS_PROJECT_MAX + 1 + 8)
#define UPGRADE_BATCH 1000

/* The by_version key: the project, a NUL, the version (big-endian). */
static MDB_val version_key(const char *project, uint64_t version,
			   uint8_t buf[KEY_MAX])
{
	size_t n = strlen(project);

	memcpy(buf, project, n);
	buf[n] = '\0';
	dfs_lmdb_u64_key(version, buf + n + 1);
	return (MDB_val){n + 9, buf};
}

static void counter_name(const char *project, char out[DFS_PROJECT_MAX + 16])
{
	snprintf(out, DFS_PROJECT_MAX + 16, "pversion/%s", project);
}

static int index_put(struct dfs_lmdb *st, MDB_txn *txn,
		     const struct dfs_record *rec)
{
	uint8_t kbuf[KEY_MAX], val[DFS_LMDB_IDX_LEN];
	MDB_val k = version_key(rec->project, rec->version, kbuf),
		v = {DFS_LMDB_IDX_LEN, val};

	memcpy(val, rec->id, 16);
	dfs_lmdb_u64_key(rec->seq, val + 16);
	return dfs_lmdb_err(
		mdb_put(txn, st->by_version, &k, &v, MDB_NOOVERWRITE));
}

int dfs_lmdb_version_add(struct dfs_lmdb *st, MDB_txn *txn,
			 struct dfs_record *rec)
{
	char name[DFS_PROJECT_MAX + 16];
	int rc;

	counter_name(rec->project, name);
	rc = dfs_lmdb_counter(st, txn, name, &rec->version);
	return rc ? rc : index_put(st, txn, rec);
}

int dfs_lmdb_version_del(struct dfs_lmdb *st, MDB_txn *txn,
			 const struct dfs_record *rec)
{
	uint8_t kbuf[KEY_MAX];
	MDB_val k;
	int rc;

	if (rec->version == 0)
		return 0;
	k = version_key(rec->project, rec->version, kbuf);
	rc = mdb_del(txn, st->by_version, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : dfs_lmdb_err(rc);
}

int dfs_lmdb_find_version(struct dfs_catalog *cat, const char *project,
			  uint64_t version, uint8_t id[16], uint64_t *seq)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	uint8_t kbuf[KEY_MAX];
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	k = version_key(project, version, kbuf);
	rc = dfs_lmdb_err(mdb_get(txn, st->by_version, &k, &v));
	if (!rc && v.mv_size != DFS_LMDB_IDX_LEN)
		rc = -EBADMSG;
	if (!rc) {
		memcpy(id, v.mv_data, 16);
		if (seq)
			*seq = dfs_lmdb_u64_val((uint8_t *)v.mv_data + 16);
	}
	mdb_txn_abort(txn);
	return rc;
}

/*
 * One batch of the upgrade: up to UPGRADE_BATCH records after seq
 * *@after, in seq (= id) order, get the next number of their project's
 * counter. *@after moves on, and is kept in meta with the batch, so that
 * an upgrade cut short resumes where its last batch committed. *@done is
 * true when no record is left.
 */
static int upgrade_batch(struct dfs_lmdb *st, MDB_txn *txn, uint64_t *after,
			 bool *done)
{
	MDB_val ck = dfs_lmdb_sval("upgrade_seq"), k, v;
	uint8_t key[8], pos[8];
	struct dfs_record rec;
	MDB_cursor *cur;
	unsigned n = 0;
	int rc, mrc;

	rc = dfs_lmdb_err(mdb_cursor_open(txn, st->by_seq, &cur));
	if (rc)
		return rc;
	dfs_lmdb_u64_key(*after + 1, key);
	k = (MDB_val){8, key};
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     mrc == 0 && n < UPGRADE_BATCH;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
		if (k.mv_size != 8 || v.mv_size != 16) {
			rc = -EBADMSG;
			break;
		}
		*after = dfs_lmdb_u64_val(k.mv_data);
		rc = dfs_lmdb_record_get(st, txn, v.mv_data, &rec);
		if (!rc && rec.version == 0) {
			rc = dfs_lmdb_version_add(st, txn, &rec);
			if (!rc)
				rc = dfs_lmdb_record_put(st, txn, &rec);
		}
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = dfs_lmdb_err(mrc);
	if (rc)
		return rc;
	*done = mrc == MDB_NOTFOUND;
	dfs_lmdb_u64_key(*after, pos);
	v = (MDB_val){8, pos};
	return dfs_lmdb_err(mdb_put(txn, st->meta, &ck, &v, 0));
}

int dfs_lmdb_version_upgrade(struct dfs_lmdb *st)
{
	MDB_val ck = dfs_lmdb_sval("upgrade_seq"), v;
	uint64_t after = 0;
	bool done = false;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = mdb_get(txn, st->meta, &ck, &v);
	if (rc == 0 && v.mv_size == 8)
		after = dfs_lmdb_u64_val(v.mv_data);
	mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		return dfs_lmdb_err(rc);
	while (!done) {
		rc = dfs_lmdb_txn(st, true, &txn);
		if (rc)
			return rc;
		rc = dfs_lmdb_end(txn, upgrade_batch(st, txn, &after, &done));
		if (rc)
			return rc;
	}
	return 0;
}
