/*
 * test_verify — dfs_verify against blob files damaged behind the
 * library's back: a flipped byte (hash), a cut file (size), a removed one
 * (missing), each reported for every record that holds the blob; scoped
 * by project and by deployment.
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

#include "payload.h"
#include "blobs.h"
#include "catalog.h"
#include "maintutil.h"
#include "verify.h"

#define MAXP 16

struct problems {
	size_t n;
	struct dfs_problem p[MAXP];
	int stop_after; /* return 1 after this many; 0: never */
};

static int collect(void *arg, const struct dfs_problem *p)
{
	struct problems *ps = arg;

	assert_true(ps->n < MAXP);
	ps->p[ps->n++] = *p;
	return ps->stop_after && (int)ps->n >= ps->stop_after;
}

/* dfs_verify into @ps; returns its result, *@checked its count. */
static int verify(struct tu_fix *fix, const char *project, const uint8_t *id,
		  struct problems *ps, uint64_t *checked)
{
	int stop = ps->stop_after;

	memset(ps, 0, sizeof(*ps));
	ps->stop_after = stop;
	*checked = 12345;
	return dfs_verify(fix->st, project, id, collect, ps, checked);
}

/* The problem about deployment @rec, which must be there once. */
static const struct dfs_problem *about(const struct problems *ps,
				       const struct dfs_record *rec)
{
	const struct dfs_problem *found = NULL;

	for (size_t i = 0; i < ps->n; i++)
		if (memcmp(ps->p[i].id, rec->id, 16) == 0) {
			assert_null(found);
			found = &ps->p[i];
		}
	assert_non_null(found);
	return found;
}

static void assert_problem(const struct dfs_problem *p,
			   const struct dfs_record *rec,
			   enum dfs_problem_kind kind, uint64_t found_size)
{
	char rel[DFS_BLOB_PATH_MAX], hex[65];

	/* A local store: the blob's file under blobs/. */
	dfs_hash_hex(rec->payload_hash, hex);
	snprintf(rel, sizeof(rel), "blobs/%.2s/%s", hex, hex);
	assert_memory_equal(p->id, rec->id, 16);
	assert_string_equal(p->project, rec->project);
	assert_int_equal(p->kind, kind);
	assert_int_equal(p->expected_size, rec->payload_size);
	if (kind != DFS_PROBLEM_MISSING)
		assert_int_equal(p->found_size, found_size);
	assert_string_equal(p->path, rel);
}

/* web a (seed 1), web b (seed 2), api c (seed 1: a's blob). */
static void three(struct tu_fix *fix, struct dfs_record r[3])
{
	tu_deploy(fix, "web", 1, &r[0]);
	tu_deploy(fix, "web", 2, &r[1]);
	tu_deploy(fix, "api", 1, &r[2]);
	assert_memory_equal(r[0].payload_hash, r[2].payload_hash, 32);
}

static void test_verify_clean(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record r[3], bad, gone;
	struct problems ps = {0};
	struct dfs_who who;
	uint64_t checked, freed;

	tu_who(&who);
	assert_int_equal(verify(fix, NULL, NULL, &ps, &checked), 0);
	assert_int_equal(checked, 0);
	three(fix, r);
	tu_deploy_text(fix, "web", &bad); /* failed, holding its bytes */
	tu_deploy(fix, "web", 3, &gone);
	assert_int_equal(dfs_payload_drop(fix->st, gone.id, DFS_DROP_ASKED,
					  &who, &freed),
			 0);
	assert_int_equal(verify(fix, NULL, NULL, &ps, &checked), 0);
	assert_int_equal(ps.n, 0);
	/* Records holding payloads, the shared blob counted per record. */
	assert_int_equal(checked, 4);
}

static void test_verify_flipped_byte(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {0};
	struct dfs_record r[3];
	uint64_t checked;

	three(fix, r);
	tu_blob_flip(fix, r[0].payload_hash, r[0].payload_size / 2);
	assert_int_equal(verify(fix, NULL, NULL, &ps, &checked), 0);
	assert_int_equal(checked, 3);
	/* Every record sharing the blob is named. */
	assert_int_equal(ps.n, 2);
	assert_problem(about(&ps, &r[0]), &r[0], DFS_PROBLEM_HASH,
		       r[0].payload_size);
	assert_problem(about(&ps, &r[2]), &r[2], DFS_PROBLEM_HASH,
		       r[2].payload_size);
}

static void test_verify_truncated(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {0};
	struct dfs_record r[3];
	uint64_t checked;

	three(fix, r);
	tu_blob_truncate(fix, r[1].payload_hash, r[1].payload_size - 10);
	assert_int_equal(verify(fix, NULL, NULL, &ps, &checked), 0);
	assert_int_equal(checked, 3);
	assert_int_equal(ps.n, 1);
	assert_problem(&ps.p[0], &r[1], DFS_PROBLEM_SIZE,
		       r[1].payload_size - 10);
	assert_int_equal(ps.p[0].found_size, r[1].payload_size - 10);
}

static void test_verify_missing(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {0};
	struct dfs_record r[3];
	uint64_t checked;

	three(fix, r);
	tu_blob_unlink(fix, r[2].payload_hash);
	assert_int_equal(verify(fix, NULL, NULL, &ps, &checked), 0);
	assert_int_equal(checked, 3);
	assert_int_equal(ps.n, 2);
	assert_problem(about(&ps, &r[0]), &r[0], DFS_PROBLEM_MISSING, 0);
	assert_problem(about(&ps, &r[2]), &r[2], DFS_PROBLEM_MISSING, 0);
}

static void test_verify_project(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {0};
	struct dfs_record r[3];
	uint64_t checked;

	three(fix, r);
	tu_blob_flip(fix, r[1].payload_hash, 0);
	assert_int_equal(verify(fix, "api", NULL, &ps, &checked), 0);
	assert_int_equal(checked, 1);
	assert_int_equal(ps.n, 0);
	assert_int_equal(verify(fix, "web", NULL, &ps, &checked), 0);
	assert_int_equal(checked, 2);
	assert_int_equal(ps.n, 1);
	assert_problem(&ps.p[0], &r[1], DFS_PROBLEM_HASH, r[1].payload_size);
}

static void test_verify_id(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {0};
	struct dfs_record r[3];
	uint64_t checked;

	three(fix, r);
	tu_blob_flip(fix, r[0].payload_hash, 100);
	assert_int_equal(verify(fix, NULL, r[1].id, &ps, &checked), 0);
	assert_int_equal(checked, 1);
	assert_int_equal(ps.n, 0);
	assert_int_equal(verify(fix, NULL, r[2].id, &ps, &checked), 0);
	assert_int_equal(checked, 1);
	assert_int_equal(ps.n, 1);
	assert_problem(&ps.p[0], &r[2], DFS_PROBLEM_HASH, r[2].payload_size);
	assert_int_equal(verify(fix, "api", r[2].id, &ps, &checked), 0);
	assert_int_equal(checked, 1);
	assert_int_equal(ps.n, 1);
}

static void test_verify_id_dropped(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {0};
	struct dfs_record r[3];
	struct dfs_who who;
	uint64_t checked, freed;

	tu_who(&who);
	three(fix, r);
	assert_int_equal(dfs_payload_drop(fix->st, r[1].id, DFS_DROP_ASKED,
					  &who, &freed),
			 0);
	/* A record without a payload has nothing to check. */
	assert_int_equal(verify(fix, NULL, r[1].id, &ps, &checked), 0);
	assert_int_equal(checked, 0);
	assert_int_equal(ps.n, 0);
}

static void test_verify_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {0};
	struct dfs_record r[3];
	uint64_t checked;
	uint8_t id[16];

	three(fix, r);
	assert_int_equal(verify(fix, "nosuch", NULL, &ps, &checked), -ENOENT);
	assert_int_equal(ps.n, 0);
	tu_unknown_id(fix, id);
	assert_int_equal(verify(fix, NULL, id, &ps, &checked), -ENOENT);
	assert_int_equal(ps.n, 0);
}

static void test_verify_stop(void **state)
{
	struct tu_fix *fix = *state;
	struct problems ps = {.stop_after = 1};
	struct dfs_record r[3];
	uint64_t checked;

	three(fix, r);
	tu_blob_unlink(fix, r[0].payload_hash);
	tu_blob_unlink(fix, r[1].payload_hash);
	assert_int_equal(verify(fix, NULL, NULL, &ps, &checked), 0);
	assert_int_equal(ps.n, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_verify_clean),	   T(test_verify_flipped_byte),
		T(test_verify_truncated),  T(test_verify_missing),
		T(test_verify_project),	   T(test_verify_id),
		T(test_verify_id_dropped), T(test_verify_unknown),
		T(test_verify_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
