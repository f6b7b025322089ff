/*
 * test_retention — policies per store and per project, pins, and what
 * dfs_retention_plan / dfs_retention_apply drop: payloads beyond the
 * policy, oldest first, never current, never a pinned one, never a
 * pending one; records always stay. Policies also apply after a commit.
 * (Time, size and shared-blob rules: test_retention_plan.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "audit.h"
#include "deploy.h"
#include "hook.h"
#include "isotime.h"
#include "maintutil.h"
#include "retention.h"

static int hooks_teardown(void **state)
{
	struct tu_fix *fix = *state;

	if (fix && fix->extra) {
		dfs_hooks_free(fix->extra);
		fix->extra = NULL;
	}
	return tu_teardown(state);
}

static void policy(struct tu_fix *fix, const char *project, uint64_t ks,
		   uint64_t kd, uint64_t mb)
{
	struct dfs_retention pol = {ks, kd, mb};

	assert_int_equal(dfs_catalog_policy_set(dfs_store_catalog(fix->st),
						project, &pol),
			 0);
}

/* The plan for @project now; *@v is malloc'd. Returns its length. */
static size_t plan(struct tu_fix *fix, const char *project, struct dfs_drop **v)
{
	size_t n = 9999;

	*v = NULL;
	assert_int_equal(
		dfs_retention_plan(fix->st, project, dfs_time_now_ms(), v, &n),
		0);
	assert_true(n == 0 || *v);
	return n;
}

static void apply(struct tu_fix *fix, const char *project, uint64_t *freed,
		  unsigned *dropped)
{
	struct dfs_who actor;

	tu_who(&actor);
	assert_int_equal(
		dfs_retention_apply(fix->st, project, &actor, freed, dropped),
		0);
}

static void assert_drop(const struct dfs_drop *d, const struct dfs_record *r,
			uint64_t freed)
{
	assert_memory_equal(d->id, r->id, 16);
	assert_string_equal(d->project, r->project);
	assert_memory_equal(d->hash, r->payload_hash, 32);
	assert_int_equal(d->size, r->payload_size);
	assert_int_equal(d->freed, freed);
}

static void test_retention_get_unset(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_retention pol;
	bool set = true;

	memset(&pol, 0x5a, sizeof(pol));
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						NULL, &pol, &set),
			 0);
	assert_false(set);
	assert_int_equal(pol.keep_success, 0);
	assert_int_equal(pol.keep_days, 0);
	assert_int_equal(pol.max_bytes, 0);
	set = true;
	memset(&pol, 0x5a, sizeof(pol));
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						"web", &pol, &set),
			 0);
	assert_false(set);
	assert_int_equal(pol.keep_success + pol.keep_days + pol.max_bytes, 0);
}

static void test_retention_set_store_and_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_retention pol;
	bool set;

	policy(fix, NULL, 3, 0, 0);
	policy(fix, "web", 1, 2, 3000000000ULL);
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						NULL, &pol, &set),
			 0);
	assert_true(set);
	assert_int_equal(pol.keep_success, 3);
	assert_int_equal(pol.keep_days, 0);
	assert_int_equal(pol.max_bytes, 0);
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						"web", &pol, &set),
			 0);
	assert_true(set);
	assert_int_equal(pol.keep_success, 1);
	assert_int_equal(pol.keep_days, 2);
	assert_int_equal(pol.max_bytes, 3000000000ULL);
	/* A project without its own: none stored under its name. */
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						"api", &pol, &set),
			 0);
	assert_false(set);
	/* Policies persist. */
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						"web", &pol, &set),
			 0);
	assert_true(set);
	assert_int_equal(pol.keep_days, 2);
}

static void test_retention_set_clear(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_retention pol;
	bool set;

	/* Clearing what was never set is fine. */
	policy(fix, "web", 0, 0, 0);
	policy(fix, NULL, 0, 0, 0);
	policy(fix, NULL, 2, 0, 0);
	policy(fix, "web", 0, 7, 0);
	policy(fix, "web", 0, 0, 0);
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						"web", &pol, &set),
			 0);
	assert_false(set);
	assert_int_equal(pol.keep_days, 0);
	/* The store's stays. */
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						NULL, &pol, &set),
			 0);
	assert_true(set);
	assert_int_equal(pol.keep_success, 2);
	policy(fix, NULL, 0, 0, 0);
	assert_int_equal(dfs_catalog_policy_get(dfs_store_catalog(fix->st),
						NULL, &pol, &set),
			 0);
	assert_false(set);
}

static void test_retention_apply_keep_success(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[5];
	struct dfs_drop *d;
	uint64_t freed = 0;
	unsigned dropped = 0;
	size_t n;

	for (int i = 0; i < 5; i++)
		tu_deploy(fix, "web", (uint32_t)i + 1, &v[i]);
	assert_int_equal(tu_count_blobs(fix->dir), 5);
	policy(fix, "web", 2, 0, 0);

	n = plan(fix, "web", &d);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) /* oldest first */
		assert_drop(&d[i], &v[i], v[i].payload_size);
	free(d);

	apply(fix, "web", &freed, &dropped);
	assert_int_equal(dropped, 3);
	assert_int_equal(freed, v[0].payload_size + v[1].payload_size +
					v[2].payload_size);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 5);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "success"),
			 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(tu_holds(fix, &v[i]), i >= 3);
		assert_int_equal(tu_blob_file_exists(fix, v[i].payload_hash),
				 i >= 3);
	}
	assert_int_equal(tu_count_blobs(fix->dir), 2);
	tu_assert_current(fix, "web", &v[4]);
	/* Audited in the actor's name, once per drop. */
	assert_int_equal(tu_audit_count(fix, "payload_dropped", NULL), 3);
	assert_int_equal(tu_audit_count(fix, "payload_dropped", v[0].id), 1);
	/* Nothing more to do. */
	assert_int_equal(plan(fix, "web", &d), 0);
	free(d);
	apply(fix, "web", &freed, &dropped);
	assert_int_equal(dropped, 0);
	assert_int_equal(freed, 0);
}

static void test_retention_apply_pinned(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[5];
	struct dfs_who who;
	struct dfs_drop *d;
	uint64_t freed;
	unsigned dropped;
	size_t n;

	tu_who(&who);
	for (int i = 0; i < 5; i++)
		tu_deploy(fix, "web", (uint32_t)i + 1, &v[i]);
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st),
						v[1].id, true, &who),
			 0);
	policy(fix, "web", 2, 0, 0);

	n = plan(fix, "web", &d);
	assert_int_equal(n, 2);
	assert_drop(&d[0], &v[0], v[0].payload_size);
	assert_drop(&d[1], &v[2], v[2].payload_size);
	free(d);
	apply(fix, "web", &freed, &dropped);
	assert_int_equal(dropped, 2);
	assert_true(tu_holds(fix, &v[1]));
	assert_true(tu_blob_file_exists(fix, v[1].payload_hash));
	assert_false(tu_holds(fix, &v[0]));
	assert_false(tu_holds(fix, &v[2]));
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 5);

	/* Unpinned, it goes at the next apply. */
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st),
						v[1].id, false, &who),
			 0);
	apply(fix, "web", &freed, &dropped);
	assert_int_equal(dropped, 1);
	assert_int_equal(freed, v[1].payload_size);
	assert_false(tu_holds(fix, &v[1]));
}

static void test_retention_plan_no_rule(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[4];
	struct dfs_drop *d;
	uint64_t freed = 77;
	unsigned dropped = 77;

	for (int i = 0; i < 3; i++)
		tu_deploy(fix, "web", (uint32_t)i + 1, &v[i]);
	tu_deploy_text(fix, "web", &v[3]);
	assert_int_equal(plan(fix, NULL, &d), 0);
	free(d);
	assert_int_equal(plan(fix, "web", &d), 0);
	free(d);
	apply(fix, NULL, &freed, &dropped);
	assert_int_equal(freed, 0);
	assert_int_equal(dropped, 0);
	/* A policy set and cleared again is no policy either. */
	policy(fix, "web", 1, 0, 0);
	policy(fix, "web", 0, 0, 0);
	assert_int_equal(plan(fix, "web", &d), 0);
	free(d);
	for (int i = 0; i < 4; i++)
		assert_true(tu_holds(fix, &v[i]));
	assert_int_equal(tu_count_blobs(fix->dir), 4);
}

static void test_retention_plan_project_replaces_store(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record web[3], api[3];
	struct dfs_drop *d;
	size_t n, a;

	for (int i = 0; i < 3; i++) {
		tu_deploy(fix, "web", (uint32_t)i + 1, &web[i]);
		tu_deploy(fix, "api", (uint32_t)i + 11, &api[i]);
	}
	policy(fix, NULL, 1, 0, 0);
	policy(fix, "web", 2, 0, 0);
	n = plan(fix, NULL, &d);
	assert_int_equal(n, 3);
	/* Per project, oldest first (the order of projects is not said). */
	a = strcmp(d[0].project, "api") == 0 ? 0 : 1;
	assert_drop(&d[a], &api[0], api[0].payload_size);
	assert_drop(&d[a + 1], &api[1], api[1].payload_size);
	assert_drop(&d[a ? 0 : 2], &web[0], web[0].payload_size);
	free(d);
	n = plan(fix, "web", &d);
	assert_int_equal(n, 1);
	assert_drop(&d[0], &web[0], web[0].payload_size);
	free(d);
}

static void test_retention_plan_failed(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record ok[2], bad;
	struct dfs_drop *d;
	uint64_t freed;
	unsigned dropped;

	tu_deploy(fix, "web", 1, &ok[0]);
	tu_deploy_text(fix, "web", &bad);
	tu_deploy(fix, "web", 2, &ok[1]);
	/* Failed payloads are no successes to keep. */
	policy(fix, "web", 10, 0, 0);
	assert_int_equal(plan(fix, "web", &d), 1);
	assert_drop(&d[0], &bad, bad.payload_size);
	free(d);
	apply(fix, "web", &freed, &dropped);
	assert_int_equal(dropped, 1);
	assert_int_equal(freed, bad.payload_size);
	assert_false(tu_holds(fix, &bad));
	assert_false(tu_blob_file_exists(fix, bad.payload_hash));
	tu_get(fix, bad.id, &bad);
	assert_int_equal(bad.status, DFS_STATUS_FAILED);
	assert_string_equal(bad.error.code, "not_an_archive");
	assert_true(tu_holds(fix, &ok[0]));
	assert_true(tu_holds(fix, &ok[1]));
}

static void test_retention_plan_pending(void **state)
{
	struct dfs_hooks_conf conf = {.wait = false};
	struct tu_fix *fix = *state;
	static const char body[] = "#!/bin/sh\n"
				   "i=0\n"
				   "while [ ! -e \"$DEPLOYFS_STORE/../go\" ] "
				   "&& [ $i -lt 400 ]; do\n"
				   "  sleep 0.05; i=$((i + 1))\n"
				   "done\n";
	struct dfs_record v[2], p;
	struct dfs_hooks *h = NULL;
	char path[PATH_MAX];
	struct dfs_drop *d;

	tu_deploy(fix, "web", 1, &v[0]);
	tu_deploy(fix, "web", 2, &v[1]);
	tu_path(path, "%s/hook.sh", fix->base);
	assert_int_equal(tu_write_file(path, body, strlen(body)), 0);
	assert_int_equal(chmod(path, 0755), 0);
	conf.path = path;
	assert_int_equal(dfs_hooks_new(fix->st, &conf, &h), 0);
	fix->conf.hooks = h;
	fix->extra = h;
	/* Stored and checked, waiting for its hook: pending, holding. */
	tu_deploy(fix, "web", 3, &p);
	assert_int_equal(p.status, DFS_STATUS_PENDING);
	policy(fix, "web", 1, 0, 0);
	assert_int_equal(plan(fix, "web", &d), 1);
	assert_drop(&d[0], &v[0], v[0].payload_size);
	free(d);
	policy(fix, NULL, 0, 0, 1);
	policy(fix, "web", 0, 0, 1);
	assert_int_equal(plan(fix, NULL, &d), 1);
	assert_memory_equal(d[0].id, v[0].id, 16);
	free(d);
	/* The teardown interrupts the hook. */
}

static void test_pin_audit(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record r, back;
	struct dfs_who who;

	tu_who(&who);
	tu_deploy(fix, "web", 1, &r);
	assert_false(r.pinned);
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st),
						r.id, true, &who),
			 0);
	tu_get(fix, r.id, &back);
	assert_true(back.pinned);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_true(back.payload_blob_present);
	assert_int_equal(tu_audit_count(fix, "pinned", r.id), 1);
	assert_int_equal(tu_audit_count(fix, "unpinned", r.id), 0);
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st),
						r.id, false, &who),
			 0);
	tu_get(fix, r.id, &back);
	assert_false(back.pinned);
	assert_int_equal(tu_audit_count(fix, "unpinned", r.id), 1);
	assert_int_equal(tu_audit_count(fix, "pinned", r.id), 1);
	/* Pins survive a reopen. */
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st),
						r.id, true, &who),
			 0);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	tu_get(fix, r.id, &back);
	assert_true(back.pinned);
}

static void test_pin_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_who who;
	uint8_t id[16];
	uint64_t size1, size2;

	tu_who(&who);
	tu_unknown_id(fix, id);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size1), 0);
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st), id,
						true, &who),
			 -ENOENT);
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st), id,
						false, &who),
			 -ENOENT);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size2), 0);
	assert_int_equal(size1, size2);
}

static void test_pin_pending_survives_commit(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_deploy *d = NULL;
	struct dfs_record rec;
	struct dfs_who who;
	uint8_t *buf;
	size_t n;

	/* dfs_pin names no error for a pending deployment: it pins it. */
	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(tu_targz(2000, 1, &buf, &n), 0);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, "web", &who, &attr, &d),
		0);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, n), 0), 0);
	rec = *dfs_deploy_record(d);
	assert_int_equal(dfs_catalog_set_pinned(dfs_store_catalog(fix->st),
						rec.id, true, &who),
			 0);
	tu_get(fix, rec.id, &rec);
	assert_true(rec.pinned);
	assert_int_equal(dfs_deploy_commit(d, NULL, &attr), 0);
	dfs_deploy_free(d);
	free(buf);
	/* The commit must not unpin it behind the audit trail's back. */
	tu_get(fix, rec.id, &rec);
	assert_int_equal(rec.status, DFS_STATUS_SUCCESS);
	assert_true(rec.pinned);
}

static void test_retention_after_commit_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[4], api;

	tu_deploy(fix, "web", 1, &v[0]);
	tu_deploy(fix, "web", 2, &v[1]);
	tu_deploy(fix, "api", 9, &api);
	policy(fix, "web", 1, 0, 0);
	/* Setting a policy drops nothing by itself. */
	assert_true(tu_holds(fix, &v[0]));
	tu_deploy(fix, "web", 3, &v[2]);
	tu_deploy(fix, "web", 4, &v[3]);
	for (int i = 0; i < 3; i++) {
		assert_false(tu_holds(fix, &v[i]));
		assert_false(tu_blob_file_exists(fix, v[i].payload_hash));
	}
	assert_true(tu_holds(fix, &v[3]));
	tu_assert_current(fix, "web", &v[3]);
	assert_int_equal(tu_audit_count(fix, "payload_dropped", NULL), 3);
	/* Another project's payloads are not touched. */
	assert_true(tu_holds(fix, &api));
	assert_int_equal(tu_count_blobs(fix->dir), 2);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 5);
}

static void test_retention_after_commit_store(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record web[3], api[3];

	policy(fix, NULL, 2, 0, 0);
	policy(fix, "api", 3, 0, 0);
	for (int i = 0; i < 3; i++) {
		tu_deploy(fix, "web", (uint32_t)i + 1, &web[i]);
		tu_deploy(fix, "api", (uint32_t)i + 11, &api[i]);
	}
	assert_false(tu_holds(fix, &web[0]));
	assert_true(tu_holds(fix, &web[1]));
	assert_true(tu_holds(fix, &web[2]));
	for (int i = 0; i < 3; i++)
		assert_true(tu_holds(fix, &api[i]));
}

static void test_retention_after_commit_failed(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[2], bad;

	tu_deploy(fix, "web", 1, &v[0]);
	tu_deploy(fix, "web", 2, &v[1]);
	policy(fix, "web", 5, 0, 0);
	/*
	 * A failed deploy is committed too (deploy.h: commit records
	 * "success or failed"), and a failed payload is no success to keep:
	 * "Policies apply after every commit".
	 */
	tu_deploy_text(fix, "web", &bad);
	assert_false(tu_holds(fix, &bad));
	assert_false(tu_blob_file_exists(fix, bad.payload_hash));
	assert_true(tu_holds(fix, &v[0]));
	assert_true(tu_holds(fix, &v[1]));
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)
#define H(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, hooks_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_retention_get_unset),
		T(test_retention_set_store_and_project),
		T(test_retention_set_clear),
		T(test_retention_apply_keep_success),
		T(test_retention_apply_pinned),
		T(test_retention_plan_no_rule),
		T(test_retention_plan_project_replaces_store),
		T(test_retention_plan_failed),
		H(test_retention_plan_pending),
		T(test_pin_audit),
		T(test_pin_unknown),
		T(test_retention_after_commit_project),
		T(test_retention_after_commit_store),
		T(test_retention_after_commit_failed),
		T(test_pin_pending_survives_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
