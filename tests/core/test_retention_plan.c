/*
 * test_retention_plan — the rules of a policy that depend on time and
 * size (keep_days, max_bytes), and the bytes a plan says each drop frees:
 * a blob shared with a record that stays frees nothing, and the plan
 * predicts exactly what dfs_retention_apply then frees and removes.
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

#include <cmocka.h>

#include "audit.h"
#include "blobs.h"
#include "catalog.h"
#include "isotime.h"
#include "maintutil.h"
#include "retention.h"

#define DAY_MS 86400000LL

static void policy(struct tu_fix *fix, const char *project, uint64_t ks,
		   uint64_t kd, uint64_t mb)
{
	struct dfs_retention pol = {ks, kd, mb};

	assert_int_equal(dfs_catalog_policy_set(dfs_store_catalog(fix->st),
						project, &pol),
			 0);
}

static size_t plan_at(struct tu_fix *fix, const char *project, int64_t now,
		      struct dfs_drop **v)
{
	size_t n = 9999;

	*v = NULL;
	assert_int_equal(dfs_retention_plan(fix->st, project, now, v, &n), 0);
	assert_true(n == 0 || *v);
	return n;
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

/*
 * Successful deployments of @project started at @at[i] (ascending: ids
 * keep time order), added in one batch, each holding a blob of its own
 * stored beforehand.
 */
static void old_records(struct tu_fix *fix, const char *project,
			const int64_t *at, size_t n, struct dfs_record *out)
{
	struct dfs_batch *b = NULL;
	struct dfs_record t;
	uint8_t *buf;
	size_t len;

	assert_int_equal(
		dfs_catalog_batch_begin(dfs_store_catalog(fix->st), &b), 0);
	for (size_t i = 0; i < n; i++) {
		dfs_record_init(&t);
		snprintf(t.project, sizeof(t.project), "%s", project);
		tu_who(&t.who);
		assert_int_equal(tu_targz(1000, 100 + (uint32_t)i, &buf, &len),
				 0);
		assert_int_equal(dfs_blobs_put_bytes(dfs_store_blobs(fix->st),
						     buf, len, t.payload_hash),
				 0);
		free(buf);
		t.status = DFS_STATUS_SUCCESS;
		t.has_hash = true;
		t.payload_size = t.bytes_received = len;
		t.payload_blob_present = true;
		snprintf(t.payload_format, sizeof(t.payload_format),
			 "tar+gzip");
		assert_int_equal(dfs_batch_add(b, &t, at[i], &out[i]), 0);
	}
	assert_int_equal(dfs_batch_commit(b), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i].started_ms, at[i]);
}

static void test_retention_plan_keep_days(void **state)
{
	struct tu_fix *fix = *state;
	int64_t now = dfs_time_now_ms();
	int64_t at[3] = {now - 10 * DAY_MS, now - 5 * DAY_MS, now - DAY_MS};
	struct dfs_record r[3];
	struct dfs_drop *d;

	old_records(fix, "web", at, 3, r);
	tu_assert_current(fix, "web", &r[2]);
	policy(fix, "web", 0, 3, 0);
	assert_int_equal(plan_at(fix, "web", now, &d), 2);
	assert_drop(&d[0], &r[0], r[0].payload_size);
	assert_drop(&d[1], &r[1], r[1].payload_size);
	free(d);
	policy(fix, "web", 0, 7, 0);
	assert_int_equal(plan_at(fix, "web", now, &d), 1);
	assert_drop(&d[0], &r[0], r[0].payload_size);
	free(d);
	policy(fix, "web", 0, 30, 0);
	assert_int_equal(plan_at(fix, "web", now, &d), 0);
	free(d);
	/* Seen from a month later, only current stays. */
	assert_int_equal(plan_at(fix, "web", now + 30 * DAY_MS, &d), 2);
	free(d);
	/* With keep_success too, either rule keeps. */
	policy(fix, "web", 2, 3, 0);
	assert_int_equal(plan_at(fix, "web", now, &d), 1);
	assert_drop(&d[0], &r[0], r[0].payload_size);
	free(d);
}

static void test_retention_apply_keep_days(void **state)
{
	struct tu_fix *fix = *state;
	int64_t now = dfs_time_now_ms();
	int64_t at[2] = {now - 10 * DAY_MS, now - 9 * DAY_MS};
	struct dfs_record old[2], fresh;
	struct dfs_who who;
	uint64_t freed;
	unsigned dropped;

	tu_who(&who);
	old_records(fix, "web", at, 2, old);
	tu_deploy(fix, "web", 1, &fresh);
	policy(fix, "web", 0, 1, 0);
	assert_int_equal(
		dfs_retention_apply(fix->st, "web", &who, &freed, &dropped), 0);
	assert_int_equal(dropped, 2);
	assert_int_equal(freed, old[0].payload_size + old[1].payload_size);
	assert_false(tu_holds(fix, &old[0]));
	assert_false(tu_holds(fix, &old[1]));
	assert_true(tu_holds(fix, &fresh));
	assert_int_equal(tu_count_blobs(fix->dir), 1);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 3);
}

static void test_retention_plan_max_bytes(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[5];
	struct dfs_drop *d;

	/* Plain tars of exactly 4096 bytes each. */
	for (int i = 0; i < 5; i++)
		tu_deploy_tar(fix, "web", 4096, (uint32_t)i + 1, &v[i]);
	for (int i = 0; i < 5; i++)
		assert_int_equal(v[i].payload_size, 4096);
	policy(fix, "web", 0, 0, 2 * 4096 + 100);
	assert_int_equal(plan_at(fix, "web", dfs_time_now_ms(), &d), 3);
	for (int i = 0; i < 3; i++)
		assert_drop(&d[i], &v[i], 4096);
	free(d);
	/* Exactly fitting counts as fitting. */
	policy(fix, "web", 0, 0, 3 * 4096);
	assert_int_equal(plan_at(fix, "web", dfs_time_now_ms(), &d), 2);
	assert_drop(&d[0], &v[0], 4096);
	assert_drop(&d[1], &v[1], 4096);
	free(d);
	policy(fix, "web", 0, 0, 1ULL << 40);
	assert_int_equal(plan_at(fix, "web", dfs_time_now_ms(), &d), 0);
	free(d);
}

static void test_retention_plan_max_bytes_current(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3];
	struct dfs_who who;
	struct dfs_drop *d;
	uint64_t freed;
	unsigned dropped;

	tu_who(&who);
	for (int i = 0; i < 3; i++)
		tu_deploy_tar(fix, "web", 4096, (uint32_t)i + 1, &v[i]);
	/* Smaller than any payload: current stays all the same. */
	policy(fix, "web", 0, 0, 100);
	assert_int_equal(plan_at(fix, "web", dfs_time_now_ms(), &d), 2);
	assert_drop(&d[0], &v[0], 4096);
	assert_drop(&d[1], &v[1], 4096);
	free(d);
	assert_int_equal(
		dfs_retention_apply(fix->st, "web", &who, &freed, &dropped), 0);
	assert_int_equal(dropped, 2);
	assert_int_equal(freed, 2 * 4096);
	assert_true(tu_holds(fix, &v[2]));
	tu_assert_current(fix, "web", &v[2]);
}

static void test_retention_plan_shared_blob_kept(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[4];
	struct dfs_who who;
	struct dfs_drop *d;
	uint64_t freed, refs;
	unsigned dropped;

	tu_who(&who);
	tu_deploy(fix, "web", 1, &v[0]);
	tu_deploy(fix, "web", 2, &v[1]);
	tu_deploy(fix, "web", 1, &v[2]); /* the same bytes as v[0] */
	tu_deploy(fix, "web", 3, &v[3]);
	assert_memory_equal(v[0].payload_hash, v[2].payload_hash, 32);
	assert_int_equal(tu_count_blobs(fix->dir), 3);
	policy(fix, "web", 2, 0, 0);
	assert_int_equal(plan_at(fix, "web", dfs_time_now_ms(), &d), 2);
	/* v[0]'s blob stays with v[2]: dropping it frees nothing. */
	assert_drop(&d[0], &v[0], 0);
	assert_drop(&d[1], &v[1], v[1].payload_size);
	free(d);
	assert_int_equal(
		dfs_retention_apply(fix->st, "web", &who, &freed, &dropped), 0);
	assert_int_equal(dropped, 2);
	assert_int_equal(freed, v[1].payload_size);
	assert_false(tu_holds(fix, &v[0]));
	assert_true(tu_holds(fix, &v[2]));
	assert_true(tu_blob_file_exists(fix, v[0].payload_hash));
	assert_false(tu_blob_file_exists(fix, v[1].payload_hash));
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       v[0].payload_hash, &refs),
			 0);
	assert_int_equal(refs, 1);
}

static void test_retention_plan_shared_blob_dropped(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[4];
	struct dfs_who who;
	struct dfs_drop *d;
	uint64_t freed;
	unsigned dropped;

	tu_who(&who);
	tu_deploy(fix, "web", 1, &v[0]);
	tu_deploy(fix, "web", 1, &v[1]);
	tu_deploy(fix, "web", 2, &v[2]);
	tu_deploy(fix, "web", 3, &v[3]);
	policy(fix, "web", 2, 0, 0);
	assert_int_equal(plan_at(fix, "web", dfs_time_now_ms(), &d), 2);
	/* Both holders go: the blob is freed once, by one of them. */
	assert_memory_equal(d[0].id, v[0].id, 16);
	assert_memory_equal(d[1].id, v[1].id, 16);
	assert_int_equal(d[0].freed + d[1].freed, v[0].payload_size);
	assert_true(d[0].freed == 0 || d[1].freed == 0);
	free(d);
	assert_int_equal(
		dfs_retention_apply(fix->st, "web", &who, &freed, &dropped), 0);
	assert_int_equal(dropped, 2);
	assert_int_equal(freed, v[0].payload_size);
	assert_false(tu_blob_file_exists(fix, v[0].payload_hash));
	assert_int_equal(tu_count_blobs(fix->dir), 2);
}

/* The blob @hash is one that @v (of @n drops) says is freed. */
static bool planned_free(const struct dfs_drop *v, size_t n,
			 const uint8_t hash[32])
{
	for (size_t i = 0; i < n; i++)
		if (v[i].freed && memcmp(v[i].hash, hash, 32) == 0)
			return true;
	return false;
}

static void test_retention_apply_matches_plan(void **state)
{
	static const struct {
		const char *project;
		uint32_t seed;
	} deploys[] = {
		{"web", 1}, {"web", 2}, {"api", 2}, {"web", 3}, {"api", 4},
		{"ops", 5}, {"ops", 5}, {"ops", 6}, {"web", 7}, {"api", 8},
	};
	enum {
		N = sizeof(deploys) / sizeof(deploys[0])
	};
	struct tu_fix *fix = *state;
	struct dfs_record v[N];
	uint64_t predicted = 0, freed, size1, size2;
	struct dfs_who who;
	struct dfs_drop *d, *again;
	unsigned dropped;
	size_t n;
	int blobs;

	tu_who(&who);
	for (size_t i = 0; i < N; i++)
		tu_deploy(fix, deploys[i].project, deploys[i].seed, &v[i]);
	blobs = tu_count_blobs(fix->dir);
	assert_int_equal(blobs, 8);
	policy(fix, NULL, 1, 0, 0);

	/* A plan changes nothing and says the same twice. */
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size1), 0);
	n = plan_at(fix, NULL, dfs_time_now_ms(), &d);
	assert_int_equal(plan_at(fix, NULL, dfs_time_now_ms(), &again), n);
	for (size_t i = 0; i < n; i++) {
		assert_memory_equal(d[i].id, again[i].id, 16);
		assert_memory_equal(d[i].hash, again[i].hash, 32);
		assert_int_equal(d[i].freed, again[i].freed);
	}
	free(again);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size2), 0);
	assert_int_equal(size1, size2);
	assert_int_equal(tu_count_blobs(fix->dir), blobs);

	/* web 1, 2, 3; api 2, 4; ops 5, 5. */
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++)
		predicted += d[i].freed;
	assert_int_equal(
		dfs_retention_apply(fix->st, NULL, &who, &freed, &dropped), 0);
	assert_int_equal(dropped, n);
	assert_int_equal(freed, predicted);
	/* The blobs gone are exactly those the plan said. */
	for (size_t i = 0; i < N; i++)
		assert_int_equal(tu_blob_file_exists(fix, v[i].payload_hash),
				 !planned_free(d, n, v[i].payload_hash));
	assert_int_equal(tu_count_blobs(fix->dir), 3);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 N);
	free(d);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_retention_plan_keep_days),
		T(test_retention_apply_keep_days),
		T(test_retention_plan_max_bytes),
		T(test_retention_plan_max_bytes_current),
		T(test_retention_plan_shared_blob_kept),
		T(test_retention_plan_shared_blob_dropped),
		T(test_retention_apply_matches_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
