/*
 * test_deploy_rollback — dfs_deploy_rollback and
 * dfs_deploy_rollback_target: a new success record holding the target's
 * blob (no byte copied, one more reference), rollback_of set, current
 * moved to it; refused targets create nothing; a rollback goes through
 * the check and the hook like any deploy.
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

#include <cmocka.h>

#include "payload.h"
#include "catalog.h"
#include "deploy.h"
#include "hook.h"
#include "maintutil.h"
#include "query.h"
#include "reader.h"

static int hooks_teardown(void **state)
{
	struct tu_fix *fix = *state;

	if (fix && fix->extra) {
		dfs_hooks_free(fix->extra);
		fix->extra = NULL;
	}
	return tu_teardown(state);
}

/* v1 and v2 succeed, v3 fails: current is v2. */
static void history(struct tu_fix *fix, struct dfs_record v[3])
{
	tu_deploy(fix, "web", 1, &v[0]);
	tu_deploy(fix, "web", 2, &v[1]);
	tu_deploy_text(fix, "web", &v[2]);
	tu_assert_current(fix, "web", &v[1]);
}

static uint64_t refs(struct tu_fix *fix, const uint8_t hash[32])
{
	uint64_t n = 9999;

	assert_int_equal(
		dfs_catalog_blob_refs(dfs_store_catalog(fix->st), hash, &n), 0);
	return n;
}

static int count_cb(void *arg, const struct dfs_record *rec)
{
	(void)rec;
	(*(uint64_t *)arg)++;
	return 0;
}

/* Records of @project, counted by a query. */
static uint64_t count(struct tu_fix *fix, const char *project)
{
	struct dfs_query q;
	uint64_t n = 0, total = 0;

	dfs_query_init(&q);
	q.project = project;
	assert_int_equal(dfs_catalog_query(dfs_store_catalog(fix->st), &q,
					   count_cb, &n, &total),
			 0);
	assert_int_equal(n, total);
	return n;
}

static int rollback(struct tu_fix *fix, const char *project,
		    const uint8_t *target, struct dfs_record *out)
{
	struct dfs_who who;

	tu_who(&who);
	return dfs_deploy_rollback(fix->st, &fix->conf, project, target, &who,
				   out);
}

/* The payload of @rec reads back as the tar.gz tu_deploy made of @seed. */
static void assert_payload(struct tu_fix *fix, const struct dfs_record *rec,
			   uint32_t seed)
{
	struct dfs_reader *r;
	uint8_t *want, *got;
	size_t n, k = 0;

	assert_int_equal(tu_targz(2000, seed, &want, &n), 0);
	got = malloc(n + 1);
	assert_non_null(got);
	assert_int_equal(dfs_reader_open(fix->st, rec, &r), 0);
	assert_int_equal(dfs_reader_read(r, got, n + 1, 0, &k), 0);
	dfs_reader_close(r);
	assert_int_equal(k, n);
	assert_memory_equal(got, want, n);
	free(got);
	free(want);
}

static void test_deploy_rollback_target_default(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], t;

	history(fix, v);
	assert_int_equal(dfs_deploy_rollback_target(fix->st, "web", &t), 0);
	assert_memory_equal(t.id, v[0].id, 16);
	assert_int_equal(t.status, DFS_STATUS_SUCCESS);
	assert_true(t.payload_blob_present);
}

static void test_deploy_rollback_default(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], out, back, t;
	int blobs;

	history(fix, v);
	blobs = tu_count_blobs(fix->dir);
	assert_int_equal(refs(fix, v[0].payload_hash), 1);
	assert_int_equal(rollback(fix, "web", NULL, &out), 0);
	assert_int_equal(out.status, DFS_STATUS_SUCCESS);
	assert_true(out.has_rollback);
	assert_memory_equal(out.rollback_of, v[0].id, 16);
	assert_true(memcmp(out.id, v[2].id, 16) > 0);
	assert_string_equal(out.project, "web");
	assert_true(out.has_hash);
	assert_memory_equal(out.payload_hash, v[0].payload_hash, 32);
	assert_int_equal(out.payload_size, v[0].payload_size);
	assert_true(out.payload_blob_present);
	/* Stored as returned; one more reference, no new blob file. */
	tu_get(fix, out.id, &back);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_true(back.has_rollback);
	assert_memory_equal(back.rollback_of, v[0].id, 16);
	assert_true(back.payload_blob_present);
	assert_int_equal(refs(fix, v[0].payload_hash), 2);
	assert_int_equal(tu_count_blobs(fix->dir), blobs);
	assert_int_equal(count(fix, "web"), 4);
	tu_assert_current(fix, "web", &out);
	assert_payload(fix, &back, 1);
	/* The old records are untouched. */
	tu_get(fix, v[0].id, &back);
	assert_false(back.has_rollback);
	assert_true(back.payload_blob_present);
	/* Now the success before current is v2. */
	assert_int_equal(dfs_deploy_rollback_target(fix->st, "web", &t), 0);
	assert_memory_equal(t.id, v[1].id, 16);
}

static void test_deploy_rollback_explicit(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], a, b;

	history(fix, v);
	/* Even the current one may be deployed anew. */
	assert_int_equal(rollback(fix, "web", v[1].id, &a), 0);
	assert_memory_equal(a.rollback_of, v[1].id, 16);
	assert_memory_equal(a.payload_hash, v[1].payload_hash, 32);
	tu_assert_current(fix, "web", &a);
	assert_int_equal(refs(fix, v[1].payload_hash), 2);
	assert_int_equal(rollback(fix, "web", v[0].id, &b), 0);
	assert_memory_equal(b.rollback_of, v[0].id, 16);
	tu_assert_current(fix, "web", &b);
	/* A rollback is a success like any other: it can be a target. */
	assert_int_equal(rollback(fix, "web", a.id, &b), 0);
	assert_memory_equal(b.rollback_of, a.id, 16);
	assert_memory_equal(b.payload_hash, v[1].payload_hash, 32);
	assert_int_equal(refs(fix, v[1].payload_hash), 3);
	assert_int_equal(count(fix, "web"), 6);
}

/* @rc refused with nothing created: same count, same current. */
static void assert_refused(struct tu_fix *fix, int rc, int want,
			   uint64_t records, const struct dfs_record *current)
{
	assert_int_equal(rc, want);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 records);
	if (current)
		tu_assert_current(fix, current->project, current);
}

static void test_deploy_rollback_failed_target(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], out;
	int blobs;

	history(fix, v);
	blobs = tu_count_blobs(fix->dir);
	memset(&out, 0x5a, sizeof(out));
	assert_refused(fix, rollback(fix, "web", v[2].id, &out), -EINVAL, 3,
		       &v[1]);
	assert_int_equal(tu_count_blobs(fix->dir), blobs);
	assert_int_equal(refs(fix, v[2].payload_hash), 1);
}

static void test_deploy_rollback_dropped_target(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], out, t;
	struct dfs_who who;
	uint64_t freed;

	tu_who(&who);
	history(fix, v);
	assert_int_equal(dfs_payload_drop(fix->st, v[0].id, DFS_DROP_ASKED,
					  &who, &freed),
			 0);
	assert_refused(fix, rollback(fix, "web", v[0].id, &out), -ENODATA, 3,
		       &v[1]);
	/* Nothing before current holds a payload now. */
	assert_int_equal(dfs_deploy_rollback_target(fix->st, "web", &t),
			 -ENOENT);
	assert_refused(fix, rollback(fix, "web", NULL, &out), -ENOENT, 3,
		       &v[1]);
}

static void test_deploy_rollback_other_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], api, out;

	history(fix, v);
	tu_deploy(fix, "api", 9, &api);
	assert_refused(fix, rollback(fix, "web", api.id, &out), -EXDEV, 4,
		       &v[1]);
	assert_refused(fix, rollback(fix, "api", v[0].id, &out), -EXDEV, 4,
		       &api);
}

static void test_deploy_rollback_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], out, t;
	uint8_t id[16];

	history(fix, v);
	tu_unknown_id(fix, id);
	assert_refused(fix, rollback(fix, "web", id, &out), -ENOENT, 3, &v[1]);
	/* A project with no deployment at all. */
	assert_int_equal(dfs_deploy_rollback_target(fix->st, "nosuch", &t),
			 -ENOENT);
	assert_refused(fix, rollback(fix, "nosuch", NULL, &out), -ENOENT, 3,
		       NULL);
}

static void test_deploy_rollback_nothing_before(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, bad, out, t;

	tu_deploy_text(fix, "web", &bad);
	/* No current at all. */
	assert_int_equal(dfs_deploy_rollback_target(fix->st, "web", &t),
			 -ENOENT);
	assert_refused(fix, rollback(fix, "web", NULL, &out), -ENOENT, 1, NULL);
	tu_deploy(fix, "web", 1, &a);
	/* Only current: nothing before it. */
	assert_int_equal(dfs_deploy_rollback_target(fix->st, "web", &t),
			 -ENOENT);
	assert_refused(fix, rollback(fix, "web", NULL, &out), -ENOENT, 2, &a);
}

static void test_deploy_rollback_missing_blob(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], out;

	history(fix, v);
	tu_blob_unlink(fix, v[0].payload_hash);
	/* Created, then failed as a commit that cannot read would be. */
	assert_int_equal(rollback(fix, "web", v[0].id, &out), -EIO);
	assert_int_equal(out.status, DFS_STATUS_FAILED);
	assert_true(out.has_rollback);
	assert_memory_equal(out.rollback_of, v[0].id, 16);
	assert_string_not_equal(out.error.code, "");
	assert_int_equal(count(fix, "web"), 4);
	tu_assert_current(fix, "web", &v[1]);
}

static void test_deploy_rollback_corrupt_blob(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], out, back;

	history(fix, v);
	tu_blob_flip(fix, v[0].payload_hash, 100);
	/* The same check as any deploy: the stored bytes are re-read. */
	assert_true(rollback(fix, "web", v[0].id, &out) < 0);
	assert_int_equal(out.status, DFS_STATUS_FAILED);
	assert_string_not_equal(out.error.code, "");
	tu_get(fix, out.id, &back);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_int_equal(count(fix, "web"), 4);
	tu_assert_current(fix, "web", &v[1]);
}

static void test_deploy_rollback_hook_fails(void **state)
{
	struct dfs_hooks_conf conf = {.wait = true};
	static const char body[] =
		"#!/bin/sh\necho refusing rollback\nexit 1\n";
	struct tu_fix *fix = *state;
	struct dfs_record v[3], out, back;
	struct dfs_hooks *h = NULL;
	char path[PATH_MAX];

	history(fix, v);
	tu_path(path, "%s/hook.sh", fix->base);
	assert_int_equal(tu_write_file(path, body, strlen(body)), 0);
	assert_int_equal(chmod(path, 0755), 0);
	conf.path = path;
	assert_int_equal(dfs_hooks_new(fix->st, &conf, &h), 0);
	fix->conf.hooks = h;
	fix->extra = h;

	assert_int_equal(rollback(fix, "web", NULL, &out), -ECANCELED);
	assert_int_equal(out.status, DFS_STATUS_FAILED);
	assert_string_equal(out.error.code, "hook_failed");
	assert_true(out.has_rollback);
	assert_memory_equal(out.rollback_of, v[0].id, 16);
	tu_get(fix, out.id, &back);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "hook_failed");
	assert_int_equal(back.phase, DFS_PHASE_DONE);
	tu_assert_current(fix, "web", &v[1]);
	assert_int_equal(count(fix, "web"), 4);
	/* The target keeps its payload. */
	assert_true(tu_holds(fix, &v[0]));
	assert_true(tu_blob_file_exists(fix, v[0].payload_hash));
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)
#define H(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, hooks_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_deploy_rollback_target_default),
		T(test_deploy_rollback_default),
		T(test_deploy_rollback_explicit),
		T(test_deploy_rollback_failed_target),
		T(test_deploy_rollback_dropped_target),
		T(test_deploy_rollback_other_project),
		T(test_deploy_rollback_unknown),
		T(test_deploy_rollback_nothing_before),
		T(test_deploy_rollback_missing_blob),
		T(test_deploy_rollback_corrupt_blob),
		H(test_deploy_rollback_hook_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
