/*
 * test_pg_catalog — what the PostgreSQL catalog promises beyond the
 * catalog suite (which runs against it unchanged): two hosts on one
 * database share one history with growing ids, one daemon per node
 * name, a node that lost its lease cannot settle, a dead node's pending
 * records are recovered by another, every commit is announced.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog_pg.h"
#include "isotime.h"
#include "pg_notify.h"
#include "pgutil.h"
#include "uuid7.h"

static struct dfs_catalog *host(struct pgt_fix *fix, const char *node)
{
	struct dfs_catalog *cat;
	char *err = NULL;
	int rc;

	rc = dfs_catalog_open_pg(fix->conninfo,
				 DFS_CATALOG_CREATE | DFS_CATALOG_PG_DAEMON,
				 node, &cat, &err);
	if (rc)
		fail_msg("open %s: %s", node, err ? err : "");
	free(err);
	return cat;
}

static void create(struct dfs_catalog *cat, const char *project,
		   struct dfs_record *rec)
{
	struct dfs_project_attr attr = {0, 0, 0644};
	struct dfs_who who;

	dfs_who_self(&who);
	assert_int_equal(dfs_catalog_create(cat, project, &who, &attr, rec), 0);
}

static void succeed(struct dfs_record *rec)
{
	rec->status = DFS_STATUS_SUCCESS;
	rec->phase = DFS_PHASE_DONE;
	rec->completed_ms = dfs_time_now_ms();
	rec->has_hash = true;
	memset(rec->payload_hash, 0xab, 32);
	rec->payload_size = 10;
	rec->payload_blob_present = true;
}

static void test_pg_catalog_two_hosts_one_history(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *a = host(fix, "build-a"), *b = host(fix, "build-b");
	struct dfs_record recs[6], back;

	for (int i = 0; i < 6; i++) {
		create(i % 2 ? b : a, "web", &recs[i]);
		if (i > 0) {
			assert_true(memcmp(recs[i].id, recs[i - 1].id, 16) > 0);
			assert_int_equal(recs[i].seq, recs[i - 1].seq + 1);
		}
		assert_int_equal(recs[i].version, (uint64_t)i + 1);
	}
	assert_string_equal(recs[1].origin_node, "build-b");
	/* A's record settles on A; B reads it at once. */
	succeed(&recs[4]);
	assert_int_equal(dfs_catalog_update(a, &recs[4], NULL, NULL), 0);
	assert_int_equal(dfs_catalog_get(b, recs[4].id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_string_equal(back.origin_node, "build-a");
	dfs_catalog_close(a);
	dfs_catalog_close(b);
}

static void test_pg_catalog_same_node_refused(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *a = host(fix, "build-a"), *again;
	char *err = NULL;

	assert_int_equal(dfs_catalog_open_pg(fix->conninfo,
					     DFS_CATALOG_PG_DAEMON, "build-a",
					     &again, &err),
			 -EBUSY);
	assert_non_null(strstr(err, "'build-a'"));
	free(err);
	/* deployctl (no lease) opens beside the daemon. */
	assert_int_equal(
		dfs_catalog_open_pg(fix->conninfo, 0, "build-a", &again, NULL),
		0);
	dfs_catalog_close(again);
	dfs_catalog_close(a);
}

static void test_pg_catalog_open_errors(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *cat;
	char ci[1100];

	/* No tables and no create: refused, nothing made. */
	assert_int_equal(dfs_catalog_open_pg(fix->conninfo, 0, "n", &cat, NULL),
			 -ENOENT);
	assert_int_equal(dfs_catalog_open_pg("host=/nonexistent-dir",
					     DFS_CATALOG_CREATE, "n", &cat,
					     NULL),
			 -EIO);
	assert_int_equal(dfs_catalog_open_pg("nonsense=1", 0, "n", &cat, NULL),
			 -EINVAL);
	snprintf(ci, sizeof(ci), "%s dbname=nowhere", fix->conninfo);
	assert_int_equal(dfs_catalog_open_pg(ci, 0, "n", &cat, NULL), -ENOENT);
}

static void kill_sessions_of(struct pgt_fix *fix, const char *node)
{
	char sql[256];

	/* The session holding @node's lease: a partition, as seen by it. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l "
		 "JOIN deployfs.nodes n ON l.objid = n.node_id WHERE "
		 "l.locktype = 'advisory' AND l.database = (SELECT oid FROM "
		 "pg_database WHERE datname = current_database()) AND "
		 "n.name = '%s'",
		 node);
	assert_string_equal(pgt_value(fix->raw, sql), "1");
}

static void test_pg_catalog_lost_lease_cannot_settle(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *a = host(fix, "build-a");
	struct dfs_record rec, back;
	struct dfs_who self;
	unsigned n;
	int rc;

	dfs_who_self(&self);
	assert_int_equal(dfs_catalog_recover(a, &self, &n), 0);
	create(a, "web", &rec);
	kill_sessions_of(fix, "build-a");
	succeed(&rec);
	/* The call that finds the session gone fails; nothing changed. */
	rc = dfs_catalog_update(a, &rec, NULL, NULL);
	assert_int_equal(rc, -EIO);
	/* Back with a new lease: the upload in flight is lost for good. */
	rc = dfs_catalog_update(a, &rec, NULL, NULL);
	assert_int_equal(rc, -EIO);
	assert_int_equal(dfs_catalog_get(a, rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "interrupted");
	/* New deploys work. */
	create(a, "web", &rec);
	succeed(&rec);
	assert_int_equal(dfs_catalog_update(a, &rec, NULL, NULL), 0);
	dfs_catalog_close(a);
}

static void test_pg_catalog_dead_node_recovered(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *a = host(fix, "build-a"), *b = host(fix, "build-b");
	struct dfs_record ra, rb, back;
	struct dfs_who self;
	unsigned n = 0;

	dfs_who_self(&self);
	create(a, "web", &ra);
	create(b, "web", &rb);
	/* While A lives, nothing of it is touched. */
	assert_int_equal(dfs_catalog_pg_recover_dead(b, &self, &n), 0);
	assert_int_equal(n, 0);
	dfs_catalog_close(a); /* A dies */
	for (int i = 0; i < 100 && n == 0; i++) {
		assert_int_equal(dfs_catalog_pg_recover_dead(b, &self, &n), 0);
		if (n == 0)
			usleep(50000);
	}
	assert_int_equal(n, 1);
	assert_int_equal(dfs_catalog_get(b, ra.id, &back), 0);
	assert_string_equal(back.error.code, "interrupted");
	/* B's own pending record is B's. */
	assert_int_equal(dfs_catalog_get(b, rb.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_PENDING);
	dfs_catalog_close(b);
}

struct deployer {
	struct dfs_catalog *cat;
	int rc;
};

/* Creates and settles, as fast as it can: a deploy loop on one host. */
static void *deploy_loop(void *arg)
{
	struct deployer *d = arg;
	struct dfs_project_attr attr = {0, 0, 0644};
	struct dfs_record rec;
	struct dfs_who who;

	dfs_who_self(&who);
	for (int i = 0; i < 40 && !d->rc; i++) {
		d->rc = dfs_catalog_create(d->cat, "web", &who, &attr, &rec);
		if (!d->rc) {
			succeed(&rec);
			rec.payload_hash[0] = (uint8_t)i;
			d->rc = dfs_catalog_update(d->cat, &rec, NULL, NULL);
		}
	}
	return NULL;
}

static void test_pg_catalog_concurrent_hosts(void **state)
{
	struct pgt_fix *fix = *state;
	struct deployer d[2] = {{host(fix, "build-a"), 0},
				{host(fix, "build-b"), 0}};
	struct dfs_project_counts n;
	pthread_t t[2];

	/* Creates lock the project, settles their record then the project:
	 * in one order for all, or they wait on each other (-EAGAIN). */
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&t[i], NULL, deploy_loop, &d[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(d[i].rc, 0);
	}
	assert_int_equal(dfs_catalog_project_count(d[0].cat, "web", &n), 0);
	assert_int_equal(n.success, 80);
	assert_int_equal(n.total, 80);
	dfs_catalog_close(d[0].cat);
	dfs_catalog_close(d[1].cat);
}

struct heard {
	char last[256];
	unsigned n;
};

static int hear(void *arg, const struct dfs_pg_note *note)
{
	struct heard *h = arg;

	snprintf(h->last, sizeof(h->last), "%s", note->payload);
	h->n++;
	return 0;
}

static void test_pg_catalog_commits_announced(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *a = host(fix, "build-a");
	struct heard h = {"", 0};
	struct dfs_record rec;
	char want[128], id[37];

	assert_int_equal(dfs_pg_listen(fix->pg, DFS_PG_CHANNEL), 0);
	create(a, "web", &rec);
	for (int i = 0; i < 100 && h.n == 0; i++)
		assert_int_equal(
			dfs_pg_notify_wait(fix->pg, 100, hear, &h, NULL), 0);
	dfs_uuid7_format(rec.id, id);
	snprintf(want, sizeof(want), "build-a created %s", id);
	assert_string_equal(h.last, want);
	dfs_catalog_close(a);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_catalog_two_hosts_one_history),
		T(test_pg_catalog_same_node_refused),
		T(test_pg_catalog_open_errors),
		T(test_pg_catalog_lost_lease_cannot_settle),
		T(test_pg_catalog_dead_node_recovered),
		T(test_pg_catalog_commits_announced),
		T(test_pg_catalog_concurrent_hosts),
	};
#undef T

	pgt_main_check("test_pg_catalog");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
