/*
 * pg/cat_import — an LMDB store's history into the PostgreSQL catalog
 * (see catalog_pg.h). Reads the source only through the catalog and
 * blob-store interfaces; writes records as they are, in the source's
 * order, each record with its counts, references and versions in one
 * transaction, so a cut-short import resumes by running it again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobs.h"
#include "pg_audit.h"
#include "pg_blobs.h"
#include "pg_clock.h"
#include "pgcat.h"

static const struct dfs_pg_stmt has_id = {
	"dfs_imp_has", "SELECT 1 FROM deployfs.records WHERE id = $1"};
static const struct dfs_pg_stmt last_id = {
	"dfs_imp_last",
	"SELECT last_id FROM deployfs.clock WHERE one FOR UPDATE"};
static const struct dfs_pg_stmt put_clock = {
	"dfs_imp_clock",
	"UPDATE deployfs.clock SET last_id = $1, next_seq = next_seq + 1 "
	"WHERE one RETURNING next_seq - 1"};
static const struct dfs_pg_stmt bump_version = {
	"dfs_imp_version",
	"INSERT INTO deployfs.versions (name, last) VALUES ($1, $2) "
	"ON CONFLICT (name) DO UPDATE SET last = greatest(versions.last, $2)"};
static const struct dfs_pg_stmt insert_row = {
	"dfs_imp_insert",
	"INSERT INTO deployfs.records (id, seq, pseq, version, status, held, "
	"pinned, payload_hash, payload_size, body) VALUES ($1, $2, $3, $4, $5, "
	"$6, $7, $8, $9, $10)"};
static const struct dfs_pg_stmt ref_add = {
	"dfs_imp_ref",
	"INSERT INTO deployfs.blob_refs (hash, refs, size) VALUES ($1, 1, $2) "
	"ON CONFLICT (hash) DO UPDATE SET refs = blob_refs.refs + 1"};
static const struct dfs_pg_stmt set_current = {
	"dfs_imp_current",
	"UPDATE deployfs.projects p SET current = (SELECT id FROM "
	"deployfs.records r WHERE r.pseq = p.pseq AND r.status = 1 AND r.held "
	"ORDER BY r.id DESC LIMIT 1) WHERE NOT removed"};
static const struct dfs_pg_stmt audit_put = {
	"dfs_imp_audit",
	"WITH a AS (INSERT INTO deployfs.audit (off, seq, line) VALUES ($1, "
	"$2, "
	"$3)) UPDATE deployfs.audit_head SET end_off = $1 + length($3), "
	"next_seq = greatest(next_seq, $2 + 1) WHERE one AND end_off = $1"};

struct ctx {
	struct dfs_pgcat *c;
	struct dfs_catalog *src;
	struct dfs_blobs *blobs;
	struct dfs_import_stats *st;
	int rc;
};

/* ---- projects --------------------------------------------------------- */

static int one_project(void *arg, const struct dfs_entry *e)
{
	struct ctx *x = arg;
	struct dfs_project sp, dp;
	struct dfs_project_attr attr;
	int rc;

	rc = dfs_catalog_project_get(x->src, e->name, &sp);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	attr = (struct dfs_project_attr){sp.uid, sp.gid, sp.mode};
	rc = dfs_pgcat_begin(x->c);
	if (rc)
		return rc;
	rc = dfs_pgcat_project_load(x->c, e->name, true, &dp);
	if (rc == -ENOENT) {
		rc = dfs_pgcat_project_ensure(x->c, e->name, &attr, &dp);
		if (!rc) {
			dp.created_ms = sp.created_ms;
			dp.ctime_ms = sp.ctime_ms;
			dp.hidden = sp.hidden;
			rc = dfs_pgcat_project_store(x->c, &dp);
			x->st->projects++;
		}
	}
	return dfs_pgcat_end(x->c, rc);
}

/* ---- records ---------------------------------------------------------- */

/* The payload of @rec into the database, unless it is there. */
static int copy_blob(struct ctx *x, const struct dfs_record *rec)
{
	struct stat sb;
	bool there;
	int fd, rc;

	dfs_pgcat_lock(x->c);
	rc = dfs_pg_blob_stat(x->c->pg, rec->payload_hash, &there, NULL, NULL);
	dfs_pgcat_unlock(x->c);
	if (rc || there)
		return rc;
	rc = dfs_blobs_open(x->blobs, rec->payload_hash, &fd);
	if (rc)
		return rc;
	if (fstat(fd, &sb) < 0)
		rc = -errno;
	dfs_pgcat_lock(x->c);
	if (!rc)
		rc = dfs_pg_blob_put_fd(x->c->pg, fd, (uint64_t)sb.st_size,
					rec->payload_hash, NULL);
	dfs_pgcat_unlock(x->c);
	close(fd);
	if (!rc) {
		x->st->blobs++;
		x->st->blob_bytes += (uint64_t)sb.st_size;
	}
	return rc;
}

/* Insert @rec as it is, with what the choke point would keep with it. */
static int insert_txn(struct ctx *x, const struct dfs_record *rec)
{
	struct dfs_pgcat *c = x->c;
	bool holds = dfs_record_holds_payload(rec);
	struct dfs_pg_params p;
	struct dfs_project pj;
	uint8_t last[16];
	PGresult *r;
	uint64_t seq;
	size_t len;
	char *body;
	int rc;

	/* The clock first, as every writer: ids only grow. */
	rc = dfs_pg_exec(c->pg, &last_id, NULL, &r);
	if (rc)
		return rc;
	if (dfs_pg_uuid(r, 0, 0, last) == 0 && memcmp(last, rec->id, 16) >= 0)
		rc = -EEXIST;
	PQclear(r);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, rec->id);
	rc = dfs_pg_exec(c->pg, &put_clock, &p, &r);
	if (rc)
		return rc;
	seq = (uint64_t)dfs_pg_i64(r, 0, 0);
	PQclear(r);
	rc = dfs_pgcat_project_load(c, rec->project, true, &pj);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, rec->project);
	dfs_pg_param_i64(&p, (int64_t)rec->version);
	rc = dfs_pg_exec(c->pg, &bump_version, &p, NULL);
	if (rc)
		return rc;
	{
		struct dfs_record copy = *rec;

		copy.seq = seq;
		rc = dfs_record_encode(&copy, &body, &len);
	}
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, rec->id);
	dfs_pg_param_i64(&p, (int64_t)seq);
	dfs_pg_param_i64(&p, (int64_t)pj.pseq);
	dfs_pg_param_i64(&p, (int64_t)rec->version);
	dfs_pg_param_i32(&p, (int32_t)rec->status);
	dfs_pg_param_bool(&p, holds);
	dfs_pg_param_bool(&p, rec->pinned);
	dfs_pg_param_bytes(&p, rec->has_hash ? rec->payload_hash : NULL,
			   rec->has_hash ? 32 : 0);
	dfs_pg_param_i64(&p, (int64_t)rec->payload_size);
	dfs_pg_param_bytes(&p, body, len);
	rc = dfs_pg_exec(c->pg, &insert_row, &p, NULL);
	free(body);
	if (!rc)
		rc = dfs_pgcat_count_add(c, pj.pseq, rec->status, 1);
	if (!rc && holds) {
		dfs_pg_params_init(&p);
		dfs_pg_param_bytes(&p, rec->payload_hash, 32);
		dfs_pg_param_i64(&p, (int64_t)rec->payload_size);
		rc = dfs_pg_exec(c->pg, &ref_add, &p, NULL);
	}
	return rc;
}

static int one_record(void *arg, const struct dfs_entry *e)
{
	struct ctx *x = arg;
	struct dfs_pg_params p;
	struct dfs_record rec;
	PGresult *r;
	bool there;
	int rc;

	rc = dfs_catalog_get(x->src, e->id, &rec);
	if (rc)
		return rc;
	dfs_pg_params_init(&p);
	dfs_pg_param_uuid(&p, rec.id);
	dfs_pgcat_lock(x->c);
	rc = dfs_pg_exec(x->c->pg, &has_id, &p, &r);
	dfs_pgcat_unlock(x->c);
	if (rc)
		return rc;
	there = PQntuples(r) == 1;
	PQclear(r);
	if (there) {
		x->st->skipped++;
		return 0;
	}
	/* Bytes first: a record never names a blob the database lacks. */
	if (dfs_record_holds_payload(&rec))
		rc = copy_blob(x, &rec);
	if (rc)
		return rc;
	rc = dfs_pgcat_begin(x->c);
	if (rc)
		return rc;
	rc = insert_txn(x, &rec);
	rc = dfs_pgcat_end(x->c, rc);
	if (!rc)
		x->st->records++;
	return rc;
}

/* ---- the audit trail -------------------------------------------------- */

struct audit_copy {
	struct ctx *x;
	uint64_t end; /* the catalog's end: copy the source's lines after */
};

static int one_event(void *arg, const struct dfs_event *e)
{
	struct audit_copy *a = arg;
	struct dfs_pgcat *c = a->x->c;
	struct dfs_pg_params p;
	PGresult *r;
	int rc;

	if (e->off < a->end)
		return 0;
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, (int64_t)e->off);
	dfs_pg_param_i64(&p, (int64_t)e->seq);
	dfs_pg_param_bytes(&p, e->line, e->len);
	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &audit_put, &p, &r);
	dfs_pgcat_unlock(c);
	if (rc)
		return rc;
	/* The head moved meanwhile (a live event): stop copying. */
	rc = strcmp(PQcmdTuples(r), "1") == 0 ? 0 : -EEXIST;
	PQclear(r);
	if (!rc)
		a->x->st->events++;
	return rc;
}

static const struct dfs_pg_stmt last_line = {
	"dfs_imp_last_line",
	"SELECT off, line FROM deployfs.audit ORDER BY off DESC LIMIT 1"};

/* Whether the catalog's trail is a prefix of the source's: its last line
 * is the source's line at the same offset. */
static int audit_prefix(struct ctx *x, uint64_t end, bool *prefix)
{
	char *theirs = NULL;
	size_t len = 0, got = 0;
	const char *mine;
	uint64_t off;
	PGresult *r;
	int rc;

	*prefix = end == 0;
	if (end == 0)
		return 0;
	dfs_pgcat_lock(x->c);
	rc = dfs_pg_exec(x->c->pg, &last_line, NULL, &r);
	dfs_pgcat_unlock(x->c);
	if (rc)
		return rc;
	if (PQntuples(r) == 1) {
		off = (uint64_t)dfs_pg_i64(r, 0, 0);
		mine = dfs_pg_bytes(r, 0, 1, &len);
		theirs = malloc(len + 1);
		rc = theirs ? dfs_catalog_audit_read(x->src, off, theirs, len,
						     &got)
			    : -ENOMEM;
		*prefix = !rc && got == len && memcmp(mine, theirs, len) == 0;
		free(theirs);
	}
	PQclear(r);
	return rc;
}

static int copy_audit(struct ctx *x)
{
	struct audit_copy a = {x, 0};
	uint64_t theirs;
	bool prefix;
	int rc;

	dfs_pgcat_lock(x->c);
	rc = dfs_pg_audit_size(x->c->pg, &a.end);
	dfs_pgcat_unlock(x->c);
	if (!rc)
		rc = dfs_catalog_audit_size(x->src, &theirs);
	if (!rc && a.end > theirs) {
		x->st->audit_kept = true;
		return 0;
	}
	if (!rc)
		rc = audit_prefix(x, a.end, &prefix);
	if (rc)
		return rc;
	if (!prefix) {
		x->st->audit_kept = true;
		return 0;
	}
	rc = dfs_catalog_audit_scan(x->src, a.end, one_event, &a);
	if (rc == -EEXIST) {
		x->st->audit_kept = true;
		rc = 0;
	}
	return rc;
}

/* ---- policies and the whole ------------------------------------------- */

static int one_policy(void *arg, const struct dfs_entry *e)
{
	struct ctx *x = arg;
	struct dfs_retention pol, have;
	bool set, there;
	int rc;

	rc = dfs_catalog_policy_get(x->src, e ? e->name : NULL, &pol, &set);
	if (!rc && set)
		rc = dfs_pgcat_policy_get(&x->c->base, e ? e->name : NULL,
					  &have, &there);
	if (!rc && set && !there)
		rc = dfs_pgcat_policy_set(&x->c->base, e ? e->name : NULL,
					  &pol);
	return rc;
}

int dfs_catalog_pg_import(struct dfs_catalog *dst, struct dfs_catalog *src,
			  struct dfs_blobs *src_blobs,
			  struct dfs_import_stats *st)
{
	struct ctx x = {dfs_pgcat(dst), src, src_blobs, st, 0};
	int rc;

	memset(st, 0, sizeof(*st));
	if (!dfs_catalog_is_pg(dst))
		return -EINVAL;
	rc = dfs_catalog_scan(src, DFS_SCAN_PROJECTS, NULL, 0, one_project, &x);
	if (!rc)
		rc = dfs_catalog_scan(src, DFS_SCAN_ALL, NULL, 0, one_record,
				      &x);
	if (!rc) {
		dfs_pgcat_lock(x.c);
		rc = dfs_pg_exec(x.c->pg, &set_current, NULL, NULL);
		dfs_pgcat_unlock(x.c);
	}
	if (!rc)
		rc = one_policy(&x, NULL);
	if (!rc)
		rc = dfs_catalog_scan(src, DFS_SCAN_PROJECTS, NULL, 0,
				      one_policy, &x);
	if (!rc)
		rc = copy_audit(&x);
	return rc;
}
