/*
 * test_pg_deliver — the follower (deliver.h) on the throwaway cluster:
 * the current deployment of a followed project is delivered through the
 * hook with DEPLOYFS_NODE, its output kept in the catalog; a hook that
 * exits 1 fails the delivery with hook_failed; nothing is delivered
 * twice; with no hook, fetching the payload is the delivery.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "blobs.h"
#include "catalog_pg.h"
#include "deliver.h"
#include "delivery_pg.h"
#include "isotime.h"
#include "pgutil.h"
#include "store.h"

struct env {
	char dir[64];
	struct dfs_store *st; /* the follower "app-1" */
	struct dfs_catalog *build;
};

static void env_open(struct pgt_fix *fix, struct env *e)
{
	struct dfs_catalog *cat;

	strcpy(e->dir, "/tmp/dfs-deliver.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	assert_int_equal(
		dfs_catalog_open_pg(fix->conninfo,
				    DFS_CATALOG_CREATE | DFS_CATALOG_PG_DAEMON,
				    "app-1", &cat, NULL),
		0);
	assert_int_equal(
		dfs_store_open_catalog(e->dir, DFS_STORE_CREATE, cat, &e->st),
		0);
	assert_int_equal(dfs_catalog_open_pg(fix->conninfo,
					     DFS_CATALOG_PG_DAEMON, "build",
					     &e->build, NULL),
			 0);
}

static void env_close(struct env *e)
{
	char cmd[128];

	dfs_catalog_close(e->build);
	dfs_store_close(e->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
}

/* A success of @project on the build host, its payload in the cache. */
static void deploy(struct env *e, const char *project, const char *bytes,
		   struct dfs_record *rec)
{
	struct dfs_project_attr attr = {0, 0, 0644};
	struct dfs_who who;

	dfs_who_self(&who);
	assert_int_equal(
		dfs_catalog_create(e->build, project, &who, &attr, rec), 0);
	assert_int_equal(dfs_blobs_put_bytes(dfs_store_blobs(e->st), bytes,
					     strlen(bytes), rec->payload_hash),
			 0);
	rec->status = DFS_STATUS_SUCCESS;
	rec->phase = DFS_PHASE_DONE;
	rec->completed_ms = dfs_time_now_ms();
	rec->has_hash = true;
	rec->payload_size = strlen(bytes);
	rec->payload_blob_present = true;
	assert_int_equal(dfs_catalog_update(e->build, rec, NULL, NULL), 0);
}

static void write_hook(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void follow(struct env *e, const char *project)
{
	assert_int_equal(
		dfs_delivery_pg_follow(dfs_store_catalog(e->st), &project, 1),
		0);
}

static void test_deliver_runs_hook(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_hooks_conf conf = {NULL, 30, false};
	struct dfs_hooks *h;
	struct dfs_record rec;
	struct dfs_delivery d;
	struct env e;
	char hook[128], buf[256];
	size_t got;
	unsigned n;

	env_open(fix, &e);
	snprintf(hook, sizeof(hook), "%s/release.sh", e.dir);
	write_hook(hook, "echo node=$DEPLOYFS_NODE project=$DEPLOYFS_PROJECT; "
			 "cat");
	conf.path = hook;
	assert_int_equal(dfs_hooks_new(e.st, &conf, &h), 0);
	follow(&e, "web");
	deploy(&e, "web", "payload-bytes", &rec);
	assert_int_equal(dfs_follower_catch_up(e.st, h, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dfs_delivery_pg_get(e.build, rec.id, "app-1", &d), 0);
	assert_int_equal(d.status, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_log_read(e.build, rec.id, "app-1", 0,
						  buf, sizeof(buf) - 1, &got),
			 0);
	buf[got] = '\0';
	assert_string_equal(buf, "node=app-1 project=web\npayload-bytes");
	/* Nothing twice. */
	assert_int_equal(dfs_follower_catch_up(e.st, h, &n), 0);
	assert_int_equal(n, 0);
	dfs_hooks_free(h);
	env_close(&e);
}

static void test_deliver_hook_fails(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_hooks_conf conf = {NULL, 30, false};
	struct dfs_delivery_counts c;
	struct dfs_hooks *h;
	struct dfs_record rec;
	struct dfs_delivery d;
	struct env e;
	char hook[128];
	unsigned n;

	env_open(fix, &e);
	snprintf(hook, sizeof(hook), "%s/release.sh", e.dir);
	write_hook(hook, "echo no room; exit 1");
	conf.path = hook;
	assert_int_equal(dfs_hooks_new(e.st, &conf, &h), 0);
	follow(&e, "*");
	deploy(&e, "api", "x", &rec);
	assert_int_equal(dfs_follower_catch_up(e.st, h, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dfs_delivery_pg_get(e.build, rec.id, "app-1", &d), 0);
	assert_int_equal(d.status, DFS_DELIVERY_FAILED);
	assert_string_equal(d.error.code, "hook_failed");
	assert_non_null(strstr(d.error.message, "no room"));
	assert_int_equal(dfs_delivery_pg_counts(e.build, rec.id, &c), 0);
	assert_int_equal(c.failed, 1);
	dfs_hooks_free(h);
	env_close(&e);
}

static void test_deliver_without_hook(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_delivery d;
	struct env e;
	unsigned n;

	env_open(fix, &e);
	follow(&e, "web");
	deploy(&e, "web", "abc", &rec);
	assert_int_equal(dfs_follower_catch_up(e.st, NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dfs_delivery_pg_get(e.build, rec.id, "app-1", &d), 0);
	assert_int_equal(d.status, DFS_DELIVERY_SUCCESS);
	env_close(&e);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_deliver_runs_hook),
		T(test_deliver_hook_fails),
		T(test_deliver_without_hook),
	};
#undef T

	pgt_main_check("test_pg_deliver");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
