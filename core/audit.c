/* audit — see audit.h. */
#include "audit.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_impl.h"
#include "isotime.h"
#include "uuid7.h"

static int audit_end(struct dfs_store *st, MDB_txn *txn, uint64_t *end)
{
	MDB_val k = dfs_catalog_sval("audit_end"), v;
	int rc = mdb_get(txn, st->meta, &k, &v);

	if (rc == MDB_NOTFOUND) {
		*end = 0;
		return 0;
	}
	if (rc)
		return dfs_store_lmdb_err(rc);
	*end = v.mv_size == 8 ? dfs_store_u64_val(v.mv_data) : 0;
	return 0;
}

/* Append the event @o (its "seq" and "time" first) as one line. */
static int append_event(struct dfs_store *st, MDB_txn *txn,
			json_t *(*make)(void *arg, uint64_t seq,
					const char *when),
			void *arg)
{
	char when[DFS_ISOTIME_LEN];
	uint8_t key[8], endbuf[8];
	uint64_t seq, end = 0;
	MDB_val k = {8, key}, v;
	json_t *o;
	char *line;
	size_t len;
	int rc;

	rc = dfs_catalog_counter(st, txn, "audit_seq", &seq);
	if (!rc)
		rc = audit_end(st, txn, &end);
	if (rc)
		return rc;
	o = make(arg, seq, dfs_time_format(dfs_time_now_ms(), when));
	if (!o)
		return -ENOMEM;
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len] = '\n'; /* json_dumps leaves room: the NUL is replaced */
	dfs_store_u64_key(end, key);
	v = (MDB_val){len + 1, line};
	rc = dfs_store_lmdb_err(mdb_put(txn, st->audit, &k, &v, MDB_APPEND));
	free(line);
	if (rc)
		return rc;
	dfs_store_u64_key(end + len + 1, endbuf);
	k = dfs_catalog_sval("audit_end");
	v = (MDB_val){8, endbuf};
	return dfs_store_lmdb_err(mdb_put(txn, st->meta, &k, &v, 0));
}

struct record_event {
	const struct dfs_record *rec;
	const char *action;
	const struct dfs_who *actor;
};

static json_t *make_record_event(void *arg, uint64_t seq, const char *when)
{
	struct record_event *e = arg;
	char idstr[37];

	dfs_uuid7_format(e->rec->id, idstr);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s}",
			 "seq", (json_int_t)seq, "time", when, "deployment_id",
			 idstr, "project", e->rec->project, "action", e->action,
			 "status", dfs_status_name(e->rec->status), "uid",
			 (json_int_t)e->actor->uid, "user", e->actor->user,
			 "pid", (json_int_t)e->actor->pid, "command",
			 e->actor->command);
}

int dfs_audit_append_txn(struct dfs_store *st, MDB_txn *txn,
			 const struct dfs_record *rec, const char *action,
			 const struct dfs_who *actor)
{
	struct record_event e = {rec, action, actor};

	return append_event(st, txn, make_record_event, &e);
}

struct project_event {
	const char *project;
	const char *action;
	uint64_t records;
	const struct dfs_who *actor;
};

static json_t *make_project_event(void *arg, uint64_t seq, const char *when)
{
	struct project_event *e = arg;

	return json_pack(
	    "{s:I, s:s, s:n, s:s, s:s, s:n, s:I, s:I, s:s, s:I, s:s}", "seq",
	    (json_int_t)seq, "time", when, "deployment_id", "project",
	    e->project, "action", e->action, "status", "records",
	    (json_int_t)e->records, "uid", (json_int_t)e->actor->uid, "user",
	    e->actor->user, "pid", (json_int_t)e->actor->pid, "command",
	    e->actor->command);
}

int dfs_audit_append_project_txn(struct dfs_store *st, MDB_txn *txn,
				 const char *project, const char *action,
				 uint64_t records, const struct dfs_who *actor)
{
	struct project_event e = {project, action, records, actor};

	return append_event(st, txn, make_project_event, &e);
}

int dfs_audit_size(struct dfs_store *st, uint64_t *size)
{
	MDB_txn *txn;
	int rc;

	rc = dfs_store_txn(st, false, &txn);
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

	dfs_store_u64_key(off, key);
	*k = (MDB_val){8, key};
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0 && dfs_store_u64_val(k->mv_data) == off)
		return 0;
	if (rc == 0)
		return mdb_cursor_get(cur, k, v, MDB_PREV);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	return rc;
}

int dfs_audit_read(struct dfs_store *st, uint64_t off, void *buf, size_t n,
		   size_t *got)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	size_t done = 0;
	int rc;

	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->audit, &cur);
	if (rc)
		goto out_abort;
	rc = seek_line(cur, off, &k, &v);
	while (rc == 0 && done < n) {
		uint64_t start = dfs_store_u64_val(k.mv_data);
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
		return dfs_store_lmdb_err(rc);
	*got = done;
	return 0;
}

int dfs_audit_decode(uint64_t off, const void *line, size_t len,
		     struct dfs_event *e)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *when, *project, *action, *user, *cmd;
	json_t *id, *status;
	json_int_t seq, uid, pid, records = 0;
	int rc = -EBADMSG;

	if (!o)
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	if (json_unpack(o,
			"{s:I, s:s, s:o, s:s, s:s, s:o, s?I, s:I, s:s, s:I, "
			"s:s}",
			"seq", &seq, "time", &when, "deployment_id", &id,
			"project", &project, "action", &action, "status",
			&status, "records", &records, "uid", &uid, "user",
			&user, "pid", &pid, "command", &cmd) != 0 ||
	    dfs_time_parse(when, &e->time_ms) != 0)
		goto out;
	/* A project's event names no deployment and no status. */
	e->has_id = !json_is_null(id);
	if (e->has_id && (!json_is_string(id) ||
			  dfs_uuid7_parse(json_string_value(id), e->id) != 0))
		goto out;
	if (e->has_id &&
	    (!json_is_string(status) ||
	     dfs_status_parse(json_string_value(status), &e->status) != 0))
		goto out;
	e->seq = (uint64_t)seq;
	e->off = off;
	e->records = (uint64_t)records;
	snprintf(e->project, sizeof(e->project), "%s", project);
	snprintf(e->action, sizeof(e->action), "%s", action);
	e->who.uid = (uint32_t)uid;
	e->who.pid = (int32_t)pid;
	snprintf(e->who.user, sizeof(e->who.user), "%s", user);
	snprintf(e->who.command, sizeof(e->who.command), "%s", cmd);
	e->line = line;
	e->len = len;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

static int decode_event(const MDB_val *k, const MDB_val *v, struct dfs_event *e)
{
	return dfs_audit_decode(dfs_store_u64_val(k->mv_data), v->mv_data,
				v->mv_size, e);
}

int dfs_audit_scan(struct dfs_store *st, uint64_t from,
		   int (*fn)(void *arg, const struct dfs_event *e), void *arg)
{
	struct dfs_event e;
	MDB_cursor *cur;
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	MDB_txn *txn;
	int rc, mrc;

	rc = dfs_store_txn(st, false, &txn);
	if (rc)
		return rc;
	mrc = mdb_cursor_open(txn, st->audit, &cur);
	if (mrc) {
		mdb_txn_abort(txn);
		return dfs_store_lmdb_err(mrc);
	}
	dfs_store_u64_key(from, key);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		rc = decode_event(&k, &v, &e);
		if (!rc)
			rc = fn(arg, &e);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND ? 0 : dfs_store_lmdb_err(mrc);
}
