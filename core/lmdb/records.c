/* lmdb/records — the LMDB catalog: records and the choke point (see lmdb_impl.h). */

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmdb_impl.h"
#include "catalog_plan.h"
#include "isotime.h"
#include "uuid7.h"

#define IDX_LEN DFS_LMDB_IDX_LEN

struct blob_ref {
	uint64_t refs;
	uint64_t size;
};

MDB_val dfs_lmdb_sval(const char *s)
{
	return (MDB_val){strlen(s), (void *)s};
}

static void idx_val(const uint8_t id[16], uint64_t seq, uint8_t out[IDX_LEN])
{
	memcpy(out, id, 16);
	dfs_lmdb_u64_key(seq, out + 16);
}

/* Read, then bump, a counter in meta. Counters start at 1. */
int dfs_lmdb_counter(struct dfs_lmdb *st, MDB_txn *txn, const char *name,
		     uint64_t *out)
{
	MDB_val k = dfs_lmdb_sval(name), v;
	uint64_t n = 1;
	uint8_t buf[8];
	int rc;

	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == 0 && v.mv_size == 8)
		n = dfs_lmdb_u64_val(v.mv_data);
	else if (rc != MDB_NOTFOUND && rc != 0)
		return dfs_lmdb_err(rc);
	dfs_lmdb_u64_key(n + 1, buf);
	v = (MDB_val){8, buf};
	rc = mdb_put(txn, st->meta, &k, &v, 0);
	if (rc)
		return dfs_lmdb_err(rc);
	*out = n;
	return 0;
}

void dfs_lmdb_pstatus_key(const char *project, enum dfs_status status,
			  char out[DFS_PROJECT_MAX + 16])
{
	snprintf(out, DFS_PROJECT_MAX + 16, "%s/%s", project,
		 dfs_status_name(status));
}

/* Move @rec between the status indexes (@add false: take it out). */
static int status_index(struct dfs_lmdb *st, MDB_txn *txn,
			const struct dfs_record *rec, bool add)
{
	char key[DFS_PROJECT_MAX + 16];
	int rc;

	rc = dfs_lmdb_index_set(txn, st->by_status,
				dfs_status_name(rec->status), rec, add);
	if (rc)
		return rc;
	dfs_lmdb_pstatus_key(rec->project, rec->status, key);
	return dfs_lmdb_index_set(txn, st->by_pstatus, key, rec, add);
}

/* ---- records ----------------------------------------------------------- */

int dfs_lmdb_record_get(struct dfs_lmdb *st, MDB_txn *txn, const uint8_t id[16],
			struct dfs_record *rec)
{
	MDB_val k = {16, (void *)id}, v;
	int rc = mdb_get(txn, st->records, &k, &v);

	return rc ? dfs_lmdb_err(rc)
		  : dfs_record_decode(v.mv_data, v.mv_size, rec);
}

int dfs_lmdb_record_put(struct dfs_lmdb *st, MDB_txn *txn,
			const struct dfs_record *rec)
{
	MDB_val k = {16, (void *)rec->id}, v;
	size_t len;
	char *s;
	int rc;

	rc = dfs_record_encode(rec, &s, &len);
	if (rc)
		return rc;
	v = (MDB_val){len, s};
	rc = dfs_lmdb_err(mdb_put(txn, st->records, &k, &v, 0));
	free(s);
	return rc;
}

/* Add (@add) or remove the index entry (@key, rec) in @dbi. */
int dfs_lmdb_index_set(MDB_txn *txn, MDB_dbi dbi, const char *key,
		       const struct dfs_record *rec, bool add)
{
	uint8_t val[IDX_LEN];
	MDB_val k = dfs_lmdb_sval(key), v = {IDX_LEN, val};

	idx_val(rec->id, rec->seq, val);
	if (add)
		return dfs_lmdb_err(mdb_put(txn, dbi, &k, &v, 0));
	return dfs_lmdb_err(mdb_del(txn, dbi, &k, &v));
}

/* Make the newest stored id the predecessor of the next one. */
static int new_id(struct dfs_lmdb *st, MDB_txn *txn, int64_t at_ms,
		  uint8_t id[16])
{
	uint64_t now =
		(uint64_t)(at_ms == DFS_TIME_NONE ? dfs_time_now_ms() : at_ms);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	rc = dfs_lmdb_err(mdb_cursor_open(txn, st->records, &cur));
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc == 0 && k.mv_size == 16)
		dfs_uuid7_next(k.mv_data, now, id);
	else if (rc == MDB_NOTFOUND || rc == 0)
		dfs_uuid7_next(NULL, now, id);
	else
		return dfs_lmdb_err(rc);
	return 0;
}

int dfs_lmdb_create_txn(struct dfs_lmdb *st, MDB_txn *txn, const char *project,
			const struct dfs_who *who,
			const struct dfs_project_attr *attr, int64_t at_ms,
			struct dfs_record *rec)
{
	struct dfs_project p;
	uint8_t seqkey[8];
	MDB_val k = {8, seqkey}, v;
	int rc;

	rc = dfs_lmdb_project_ensure(st, txn, project, attr, &p);
	if (!rc)
		rc = new_id(st, txn, at_ms, rec->id);
	if (!rc)
		rc = dfs_lmdb_counter(st, txn, "next_seq", &rec->seq);
	if (rc)
		return rc;
	dfs_catalog_plan_create(rec, project, who, st->base.node);
	dfs_lmdb_u64_key(rec->seq, seqkey);
	v = (MDB_val){16, rec->id};
	rc = dfs_lmdb_err(mdb_put(txn, st->by_seq, &k, &v, 0));
	if (!rc)
		rc = dfs_lmdb_index_set(txn, st->by_project, project, rec,
					true);
	if (!rc)
		rc = status_index(st, txn, rec, true);
	if (!rc)
		rc = dfs_lmdb_version_add(st, txn, rec);
	if (!rc)
		rc = dfs_lmdb_record_put(st, txn, rec);
	if (!rc)
		rc = dfs_lmdb_audit_append(st, txn, rec, "created", who);
	return rc;
}

int dfs_lmdb_create(struct dfs_catalog *cat, const char *project,
		    const struct dfs_who *who,
		    const struct dfs_project_attr *attr, struct dfs_record *rec)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	struct dfs_record r;
	MDB_txn *txn;
	int rc;

	if (!dfs_name_is_project(project))
		return -EINVAL;
	dfs_record_init(&r);
	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_create_txn(st, txn, project, who, attr, DFS_TIME_NONE,
				 &r);
	rc = dfs_lmdb_end(txn, rc);
	if (!rc)
		*rec = r;
	return rc;
}

/* Add @delta (+1 or -1) to the reference count of @rec's blob. */
static int blob_ref(struct dfs_lmdb *st, MDB_txn *txn,
		    const struct dfs_record *rec, int delta)
{
	MDB_val k = {32, (void *)rec->payload_hash}, v;
	struct blob_ref ref = {0, rec->payload_size};
	int rc;

	rc = mdb_get(txn, st->blobs, &k, &v);
	if (rc == 0 && v.mv_size == sizeof(ref))
		memcpy(&ref, v.mv_data, sizeof(ref));
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return dfs_lmdb_err(rc);
	if (delta < 0 && ref.refs == 0)
		return -EIO;
	ref.refs = delta > 0 ? ref.refs + 1 : ref.refs - 1;
	if (ref.refs == 0)
		return dfs_lmdb_err(mdb_del(txn, st->blobs, &k, NULL));
	v = (MDB_val){sizeof(ref), &ref};
	return dfs_lmdb_err(mdb_put(txn, st->blobs, &k, &v, 0));
}

static int settle_project(struct dfs_lmdb *st, MDB_txn *txn,
			  const struct dfs_record *rec,
			  const struct dfs_project_attr *attr)
{
	struct dfs_project p;
	int rc;

	rc = dfs_lmdb_project_load(st, txn, rec->project, &p);
	if (rc)
		return rc;
	dfs_catalog_plan_settle(&p, rec, attr, dfs_time_now_ms());
	return dfs_lmdb_project_put(st, txn, &p);
}

/* Point the project's current at its newest success holding a payload. */
static int recompute_current(struct dfs_lmdb *st, MDB_txn *txn,
			     const char *project)
{
	char key[DFS_PROJECT_MAX + 16];
	MDB_val k, v;
	struct dfs_project p;
	struct dfs_record r;
	MDB_cursor *cur;
	int rc, mrc;

	rc = dfs_lmdb_project_load(st, txn, project, &p);
	if (rc)
		return rc;
	dfs_lmdb_pstatus_key(project, DFS_STATUS_SUCCESS, key);
	k = dfs_lmdb_sval(key);
	rc = dfs_lmdb_err(mdb_cursor_open(txn, st->by_pstatus, &cur));
	if (rc)
		return rc;
	p.has_current = false;
	mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	if (mrc == 0)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP);
	for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV_DUP)) {
		rc = dfs_lmdb_record_get(st, txn, v.mv_data, &r);
		if (rc)
			break;
		if (dfs_record_holds_payload(&r)) {
			memcpy(p.current, r.id, 16);
			p.has_current = true;
			break;
		}
	}
	mdb_cursor_close(cur);
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = dfs_lmdb_err(mrc);
	return rc ? rc : dfs_lmdb_project_put(st, txn, &p);
}

/* Apply @plan's reference change to the blob and the by_held index. */
static int held_move(struct dfs_lmdb *st, MDB_txn *txn,
		     const struct dfs_record *old,
		     const struct dfs_catalog_plan *plan)
{
	const struct dfs_record *rec = &plan->rec;
	int rc;

	if (!plan->ref)
		return 0;
	rc = blob_ref(st, txn, plan->ref < 0 ? old : rec, plan->ref);
	if (!rc)
		rc = dfs_lmdb_index_set(txn, st->by_held, rec->project, rec,
					plan->ref > 0);
	return rc;
}

int dfs_lmdb_update_txn(struct dfs_lmdb *st, MDB_txn *txn,
			const struct dfs_record *change,
			const struct dfs_project_attr *attr,
			const struct dfs_who *actor)
{
	struct dfs_catalog_plan plan;
	const struct dfs_record *rec = &plan.rec;
	struct dfs_record old;
	int rc;

	rc = dfs_lmdb_record_get(st, txn, change->id, &old);
	if (!rc)
		rc = dfs_catalog_plan_update(&plan, &old, change, actor);
	if (rc)
		return rc;
	if (plan.status_moves) {
		rc = status_index(st, txn, &old, false);
		if (!rc)
			rc = status_index(st, txn, rec, true);
	}
	if (!rc)
		rc = held_move(st, txn, &old, &plan);
	if (!rc)
		rc = dfs_lmdb_record_put(st, txn, rec);
	if (!rc && plan.current == DFS_PLAN_CURRENT_SETTLE)
		rc = settle_project(st, txn, rec, attr);
	else if (!rc && plan.current == DFS_PLAN_CURRENT_RECOMPUTE)
		rc = recompute_current(st, txn, rec->project);
	if (!rc && plan.action)
		rc = dfs_lmdb_audit_append(st, txn, rec, plan.action,
					   plan.actor);
	return rc;
}

int dfs_lmdb_delete_txn(struct dfs_lmdb *st, MDB_txn *txn, const uint8_t id[16],
			struct dfs_record *old, bool *last_ref)
{
	uint8_t seqkey[8];
	MDB_val k = {8, seqkey};
	struct dfs_record r;
	uint64_t refs = 1;
	int rc;

	rc = dfs_lmdb_record_get(st, txn, id, &r);
	if (rc)
		return rc;
	if (dfs_record_holds_payload(&r)) {
		rc = blob_ref(st, txn, &r, -1);
		if (!rc)
			rc = dfs_lmdb_index_set(txn, st->by_held, r.project, &r,
						false);
		if (!rc)
			rc = dfs_lmdb_blob_refs_txn(st, txn, r.payload_hash,
						    &refs);
		if (rc)
			return rc;
	}
	rc = status_index(st, txn, &r, false);
	if (!rc)
		rc = dfs_lmdb_index_set(txn, st->by_project, r.project, &r,
					false);
	if (!rc)
		rc = dfs_lmdb_version_del(st, txn, &r);
	if (rc)
		return rc;
	dfs_lmdb_u64_key(r.seq, seqkey);
	k = (MDB_val){8, seqkey};
	rc = dfs_lmdb_err(mdb_del(txn, st->by_seq, &k, NULL));
	if (!rc) {
		k = (MDB_val){16, r.id};
		rc = dfs_lmdb_err(mdb_del(txn, st->records, &k, NULL));
	}
	if (rc)
		return rc;
	*old = r;
	*last_ref = dfs_record_holds_payload(&r) && refs == 0;
	return 0;
}

int dfs_lmdb_update(struct dfs_catalog *cat, const struct dfs_record *rec,
		    const struct dfs_project_attr *attr,
		    const struct dfs_who *actor)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	return dfs_lmdb_end(txn,
			    dfs_lmdb_update_txn(st, txn, rec, attr, actor));
}

int dfs_lmdb_note(struct dfs_catalog *cat, const struct dfs_record *rec,
		  const char *action, const struct dfs_who *actor)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	return dfs_lmdb_end(txn,
			    dfs_lmdb_audit_append(st, txn, rec, action, actor));
}

int dfs_lmdb_get(struct dfs_catalog *cat, const uint8_t id[16],
		 struct dfs_record *rec)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_record_get(st, txn, id, rec);
	mdb_txn_abort(txn);
	return rc;
}

static int id_by_seq(struct dfs_lmdb *st, MDB_txn *txn, uint64_t seq,
		     uint8_t id[16])
{
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	int rc;

	dfs_lmdb_u64_key(seq, key);
	rc = mdb_get(txn, st->by_seq, &k, &v);
	if (rc)
		return dfs_lmdb_err(rc);
	if (v.mv_size != 16)
		return -EBADMSG;
	memcpy(id, v.mv_data, 16);
	return 0;
}

int dfs_lmdb_get_seq(struct dfs_catalog *cat, uint64_t seq,
		     struct dfs_record *rec)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	uint8_t id[16];
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = id_by_seq(st, txn, seq, id);
	if (!rc)
		rc = dfs_lmdb_record_get(st, txn, id, rec);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_latest(struct dfs_catalog *cat, const char *project,
		    uint8_t id[16])
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_val k = dfs_lmdb_sval(project), v;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->by_project, &cur);
	if (!rc) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
		if (!rc)
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP);
		if (!rc)
			memcpy(id, v.mv_data, 16);
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return dfs_lmdb_err(rc);
}

int dfs_lmdb_blob_refs_txn(struct dfs_lmdb *st, MDB_txn *txn,
			   const uint8_t hash[32], uint64_t *refs)
{
	MDB_val k = {32, (void *)hash}, v;
	struct blob_ref ref = {0, 0};
	int rc;

	rc = mdb_get(txn, st->blobs, &k, &v);
	if (rc && rc != MDB_NOTFOUND)
		return dfs_lmdb_err(rc);
	if (rc == 0 && v.mv_size == sizeof(ref))
		memcpy(&ref, v.mv_data, sizeof(ref));
	*refs = ref.refs;
	return 0;
}

int dfs_lmdb_blob_refs(struct dfs_catalog *cat, const uint8_t hash[32],
		       uint64_t *refs)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_txn *txn;
	int rc;

	rc = dfs_lmdb_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = dfs_lmdb_blob_refs_txn(st, txn, hash, refs);
	mdb_txn_abort(txn);
	return rc;
}

int dfs_lmdb_recover(struct dfs_catalog *cat, const struct dfs_who *actor,
		     unsigned *n)
{
	struct dfs_lmdb *st = dfs_lmdb(cat);
	MDB_val k = dfs_lmdb_sval("pending"), v;
	struct dfs_record rec;
	unsigned count = 0;
	MDB_txn *txn;
	int rc, mrc = 0;

	rc = dfs_lmdb_txn(st, true, &txn);
	if (rc)
		return rc;
	while (!rc && (mrc = mdb_get(txn, st->by_status, &k, &v)) == 0) {
		rc = dfs_lmdb_record_get(st, txn, v.mv_data, &rec);
		if (rc)
			break;
		dfs_catalog_plan_interrupt(&rec);
		rc = dfs_lmdb_update_txn(st, txn, &rec, NULL, actor);
		count++;
	}
	if (!rc && mrc != MDB_NOTFOUND)
		rc = dfs_lmdb_err(mrc);
	rc = dfs_lmdb_end(txn, rc);
	if (!rc)
		*n = count;
	return rc;
}
