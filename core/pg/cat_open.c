/* pg/cat_open — opening the PostgreSQL catalog, its ops, recovery. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_plan.h"
#include "isotime.h"
#include "pgcat.h"
#include "pg_schema.h"

/* Long enough for the server to end a dead daemon's session. */
#define LEASE_WAIT_MS 5000

static void pgcat_close(struct dfs_catalog *cat)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);

	dfs_pg_close(c->pg); /* ends the session: the lease goes with it */
	dfs_pg_known_free(c->known);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static const struct dfs_catalog_ops pg_ops = {
	.shared = true,
	.close = pgcat_close,
	.recover = dfs_pgcat_recover,
	.trim = NULL,
	.create = dfs_pgcat_create,
	.update = dfs_pgcat_update,
	.drop_payload = dfs_pgcat_drop_payload,
	.set_pinned = dfs_pgcat_set_pinned,
	.note = dfs_pgcat_note,
	.get = dfs_pgcat_known_get,
	.get_seq = dfs_pgcat_known_get_seq,
	.find_version = dfs_pgcat_find_version,
	.find_prefix = dfs_pgcat_find_prefix,
	.latest = dfs_pgcat_known_latest,
	.blob_refs = dfs_pgcat_blob_refs,
	.project_get = dfs_pgcat_known_project_get,
	.project_get_seq = dfs_pgcat_known_project_get_seq,
	.project_count = dfs_pgcat_project_count,
	.project_set_attr = dfs_pgcat_project_set_attr,
	.project_hide = dfs_pgcat_project_hide,
	.project_remove_batch = dfs_pgcat_project_remove_batch,
	.scan = dfs_pgcat_scan,
	.query = dfs_pgcat_query,
	.audit_size = dfs_pgcat_audit_size,
	.audit_read = dfs_pgcat_audit_read,
	.audit_scan = dfs_pgcat_audit_scan,
	.policy_get = dfs_pgcat_policy_get,
	.policy_set = dfs_pgcat_policy_set,
	.setting_get = dfs_pgcat_setting_get,
	.setting_set = dfs_pgcat_setting_set,
	.batch_begin = dfs_pgcat_batch_begin,
	.batch_create = dfs_pgcat_batch_create,
	.batch_update = dfs_pgcat_batch_update,
	.batch_commit = dfs_pgcat_batch_commit,
	.batch_abort = dfs_pgcat_batch_abort,
};

bool dfs_catalog_is_pg(const struct dfs_catalog *cat)
{
	return cat->ops == &pg_ops;
}

/*
 * After every (re)connection of a daemon: take the node's lease again,
 * as a new epoch. Records of older epochs are no longer this session's
 * to settle; dfs_pgcat_recover fails them.
 */
static int fail_pending(struct dfs_pgcat *c, int32_t node_id, int64_t epoch,
			const struct dfs_who *actor, unsigned *n);

static int retake_lease(void *arg, struct dfs_pg *pg)
{
	struct dfs_pgcat *c = arg;
	unsigned n = 0;
	int rc;

	rc = dfs_pg_lease_take(pg, c->node, LEASE_WAIT_MS, &c->lease);
	/* Back after losing the session: what was in flight is lost. */
	if (!rc && c->has_actor)
		rc = fail_pending(c, c->lease.node_id, c->lease.epoch,
				  &c->actor, &n);
	return rc;
}

int dfs_catalog_open_pg(const char *conninfo, unsigned flags, const char *node,
			struct dfs_catalog **out, char **err)
{
	struct dfs_pgcat *c;
	int rc;

	if (err)
		*err = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base.ops = &pg_ops;
	snprintf(c->base.node, sizeof(c->base.node), "%s", node);
	snprintf(c->node, sizeof(c->node), "%s", node);
	c->daemon = flags & DFS_CATALOG_PG_DAEMON;
	pthread_mutex_init(&c->lock, NULL);
	if (c->daemon) {
		rc = dfs_pg_known_new(&c->known);
		if (rc)
			goto out_free;
	}
	rc = dfs_pg_open(conninfo, &c->pg);
	if (rc)
		goto out_free;
	rc = dfs_pg_schema_open(c->pg, flags & DFS_CATALOG_CREATE);
	if (!rc && c->daemon) {
		dfs_pg_on_connect(c->pg, retake_lease, c);
		rc = retake_lease(c, c->pg);
	}
	if (rc) {
		if (err)
			*err = strdup(dfs_pg_error(c->pg));
		dfs_pg_close(c->pg);
		goto out_free;
	}
	*out = &c->base;
	return 0;
out_free:
	dfs_pg_known_free(c->known);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return rc;
}

void dfs_pgcat_lock(struct dfs_pgcat *c)
{
	pthread_mutex_lock(&c->lock);
}

void dfs_pgcat_unlock(struct dfs_pgcat *c)
{
	pthread_mutex_unlock(&c->lock);
}

int dfs_pgcat_begin(struct dfs_pgcat *c)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = dfs_pg_begin(c->pg);
	/*
	 * A session lost while idle (a server restart, a dropped link) is
	 * found by the BEGIN, before anything was done: once reconnected,
	 * begin again.
	 */
	if (rc == -EIO && !dfs_pg_connected(c->pg))
		rc = dfs_pg_begin(c->pg);
	if (rc)
		pthread_mutex_unlock(&c->lock);
	return rc;
}

int dfs_pgcat_end(struct dfs_pgcat *c, int rc)
{
	if (rc)
		dfs_pg_rollback(c->pg);
	else
		rc = dfs_pg_commit(c->pg);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* The pending records of node @node_id (older than @epoch, if > 0). */
static const struct dfs_pg_stmt pending_of = {
	"dfs_cat_pending_of",
	"SELECT id FROM deployfs.records WHERE status = 0 AND node_id = $1 "
	"AND ($2 = 0 OR node_epoch < $2) ORDER BY id LIMIT 256"};

static int fail_pending(struct dfs_pgcat *c, int32_t node_id, int64_t epoch,
			const struct dfs_who *actor, unsigned *n)
{
	struct dfs_pg_params p;
	struct dfs_record rec;
	uint8_t id[16];
	PGresult *r;
	int rc, rows;

	do {
		rc = dfs_pg_begin(c->pg);
		if (rc)
			return rc;
		dfs_pg_params_init(&p);
		dfs_pg_param_i32(&p, node_id);
		dfs_pg_param_i64(&p, epoch);
		r = NULL;
		rc = dfs_pg_exec(c->pg, &pending_of, &p, &r);
		rows = rc ? 0 : PQntuples(r);
		for (int i = 0; !rc && i < rows; i++) {
			rc = dfs_pg_uuid(r, i, 0, id);
			if (!rc)
				rc = dfs_pgcat_record_get(c, id, true, &rec);
			if (rc || rec.status != DFS_STATUS_PENDING)
				continue;
			dfs_catalog_plan_interrupt(&rec);
			rc = dfs_pgcat_update_txn(c, &rec, NULL, actor);
			if (!rc)
				(*n)++;
		}
		PQclear(r);
		if (rc) {
			dfs_pg_rollback(c->pg);
			return rc;
		}
		rc = dfs_pg_commit(c->pg);
	} while (!rc && rows == 256);
	return rc;
}

int dfs_pgcat_recover(struct dfs_catalog *cat, const struct dfs_who *actor,
		      unsigned *n)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	unsigned count = 0;
	int rc = 0;

	/* Without a lease this process received no deploy of its own. */
	if (!c->daemon) {
		*n = 0;
		return 0;
	}
	dfs_pgcat_lock(c);
	/* Before serving: every pending record of this node is a past life's.
	 */
	rc = dfs_pg_connect(c->pg);
	if (!rc)
		rc = fail_pending(c, c->lease.node_id, 0, actor, &count);
	if (!rc) {
		c->actor = *actor;
		c->has_actor = true;
	}
	dfs_pgcat_unlock(c);
	if (!rc)
		*n = count;
	return rc;
}

static const struct dfs_pg_stmt pending_nodes = {
	"dfs_cat_pending_nodes",
	"SELECT DISTINCT node_id FROM deployfs.records WHERE status = 0 AND "
	"node_id IS NOT NULL"};

int dfs_catalog_pg_recover_dead(struct dfs_catalog *cat,
				const struct dfs_who *actor, unsigned *n)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	unsigned count = 0;
	PGresult *r = NULL;
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pg_exec(c->pg, &pending_nodes, NULL, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		int32_t node = dfs_pg_i32(r, i, 0);
		bool got;

		if (c->daemon && node == c->lease.node_id)
			continue;
		rc = dfs_pg_lease_try(c->pg, node, &got);
		if (rc || !got)
			continue;
		rc = fail_pending(c, node, 0, actor, &count);
		dfs_pg_lease_drop(c->pg, node);
	}
	PQclear(r);
	dfs_pgcat_unlock(c);
	if (!rc)
		*n = count;
	return rc;
}

int dfs_catalog_pg_check(struct dfs_catalog *cat, char *msg, size_t n)
{
	struct dfs_pgcat *c = dfs_pgcat(cat);
	int rc;

	dfs_pgcat_lock(c);
	rc = dfs_pg_exec_sql(c->pg, "SELECT 1");
	if (rc && n)
		snprintf(msg, n, "%s", dfs_pg_error(c->pg));
	dfs_pgcat_unlock(c);
	return rc;
}
