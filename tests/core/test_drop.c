/*
 * test_drop — dfs_catalog_drop_payload: the record stays, the blob goes
 * when nobody else holds it, and the project's current moves back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payload.h"
#include "audit.h"
#include "blobs.h"
#include "catalog.h"
#include "deploy.h"
#include "isotime.h"
#include "maintutil.h"
#include "testutil.h"
#include "uuid7.h"

static void drop(struct tu_fix *fix, const struct dfs_record *rec,
		 uint64_t *freed)
{
	struct dfs_who actor;

	tu_who(&actor);
	*freed = 12345;
	assert_int_equal(dfs_payload_drop(fix->st, rec->id, DFS_DROP_ASKED,
					  &actor, freed),
			 0);
}

static void assert_current(struct tu_fix *fix, const char *project,
			   const struct dfs_record *want)
{
	struct dfs_project p;

	assert_int_equal(dfs_catalog_project_get(dfs_store_catalog(fix->st),
						 project, &p),
			 0);
	if (!want) {
		assert_false(p.has_current);
		return;
	}
	assert_true(p.has_current);
	assert_memory_equal(p.current, want->id, 16);
}

static void test_catalog_drop_payload_keeps_record(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	uint64_t freed;

	tu_deploy(fix, "web", 1, &rec);
	drop(fix, &rec, &freed);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_false(back.payload_blob_present);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_int_equal(back.seq, rec.seq);
	assert_int_equal(back.payload_size, rec.payload_size);
	assert_true(back.has_hash);
	assert_memory_equal(back.payload_hash, rec.payload_hash, 32);
	assert_int_equal(back.completed_ms, rec.completed_ms);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 1);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "success"),
			 1);
}

static void test_catalog_drop_payload_frees_blob(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	uint64_t freed, refs = 9;

	tu_deploy(fix, "web", 1, &rec);
	assert_true(
		dfs_blobs_exists(dfs_store_blobs(fix->st), rec.payload_hash));
	assert_int_equal(tu_count_blobs(fix->dir), 1);
	drop(fix, &rec, &freed);
	assert_int_equal(freed, rec.payload_size);
	assert_false(
		dfs_blobs_exists(dfs_store_blobs(fix->st), rec.payload_hash));
	assert_int_equal(tu_count_blobs(fix->dir), 0);
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       rec.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 0);
}

static void test_catalog_drop_payload_shared_blob(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b;
	uint64_t freed, refs = 9;

	tu_deploy(fix, "web", 1, &a);
	tu_deploy(fix, "api", 1, &b);
	assert_memory_equal(a.payload_hash, b.payload_hash, 32);
	assert_int_equal(tu_count_blobs(fix->dir), 1);

	drop(fix, &a, &freed);
	assert_int_equal(freed, 0);
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), a.payload_hash));
	assert_int_equal(tu_count_blobs(fix->dir), 1);
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       a.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 1);

	drop(fix, &b, &freed);
	assert_int_equal(freed, b.payload_size);
	assert_false(
		dfs_blobs_exists(dfs_store_blobs(fix->st), b.payload_hash));
	assert_int_equal(tu_count_blobs(fix->dir), 0);
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       b.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 0);
}

static void test_catalog_drop_payload_twice(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t freed, size1, size2;
	struct dfs_record rec, back;

	tu_deploy(fix, "web", 1, &rec);
	drop(fix, &rec, &freed);
	assert_int_equal(freed, rec.payload_size);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size1), 0);
	drop(fix, &rec, &freed);
	assert_int_equal(freed, 0);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_false(back.payload_blob_present);
	/* Nothing changed, so nothing is audited. */
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size2), 0);
	assert_int_equal(size2, size1);
}

static void test_catalog_drop_payload_failed(void **state)
{
	struct tu_fix *fix = *state;
	static const char text[] = "plain text, not an archive";
	struct dfs_project_attr attr;
	struct dfs_record rec, back;
	struct dfs_deploy *d;
	struct dfs_who who;
	uint64_t freed;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, "web", &who, &attr, &d),
		0);
	assert_int_equal(
		dfs_deploy_write(d, DFS_SRC_MEM(text, sizeof(text) - 1), 0), 0);
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), -EBADMSG);
	rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);
	/* A failed deploy keeps the bytes it got: they can be dropped too. */
	assert_true(rec.payload_blob_present);
	drop(fix, &rec, &freed);
	assert_int_equal(freed, sizeof(text) - 1);
	assert_false(
		dfs_blobs_exists(dfs_store_blobs(fix->st), rec.payload_hash));
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_false(back.payload_blob_present);
	assert_string_equal(back.error.code, "not_an_archive");
}

static void test_catalog_drop_payload_pending_busy(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_record rec, back;
	struct dfs_deploy *d;
	uint64_t freed = 77, size1, size2;
	struct dfs_who who;
	uint8_t *buf;
	size_t len;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(tu_targz(2000, 3, &buf, &len), 0);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, "web", &who, &attr, &d),
		0);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, len), 0), 0);
	rec = *dfs_deploy_record(d);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size1), 0);
	assert_int_equal(
		dfs_payload_drop(fix->st, rec.id, DFS_DROP_ASKED, &who, &freed),
		-EBUSY);
	assert_int_equal(freed, 77);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_PENDING);
	assert_int_equal(back.bytes_received, rec.bytes_received);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size2), 0);
	assert_int_equal(size2, size1);
	/* The deploy goes on as if nothing happened. */
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), 0);
	dfs_deploy_free(d);
	free(buf);
}

static void test_catalog_drop_payload_unknown(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t freed = 77;
	struct dfs_record rec;
	struct dfs_who who;
	uint8_t id[16];

	tu_who(&who);
	dfs_uuid7_next(NULL, (uint64_t)dfs_time_now_ms(), id);
	assert_int_equal(
		dfs_payload_drop(fix->st, id, DFS_DROP_ASKED, &who, &freed),
		-ENOENT);
	tu_deploy(fix, "web", 1, &rec);
	dfs_uuid7_next(rec.id, (uint64_t)dfs_time_now_ms(), id);
	assert_int_equal(
		dfs_payload_drop(fix->st, id, DFS_DROP_ASKED, &who, &freed),
		-ENOENT);
	assert_int_equal(freed, 77);
	assert_true(
		dfs_blobs_exists(dfs_store_blobs(fix->st), rec.payload_hash));
}

static void test_catalog_drop_payload_current_moves_back(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b, c, other;
	uint64_t freed;

	tu_deploy(fix, "web", 1, &a);
	tu_deploy(fix, "web", 2, &b);
	tu_deploy(fix, "api", 3, &other);
	tu_deploy(fix, "web", 4, &c);
	assert_current(fix, "web", &c);
	/* Not the current one: current stays. */
	drop(fix, &b, &freed);
	assert_current(fix, "web", &c);
	/* The current one: back to the newest success holding a payload. */
	drop(fix, &c, &freed);
	assert_current(fix, "web", &a);
	assert_current(fix, "api", &other);
}

static void test_catalog_drop_payload_current_cleared(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b;
	uint64_t freed;

	tu_deploy(fix, "web", 1, &a);
	tu_deploy(fix, "web", 2, &b);
	drop(fix, &a, &freed);
	assert_current(fix, "web", &b);
	drop(fix, &b, &freed);
	assert_current(fix, "web", NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_catalog_drop_payload_keeps_record),
		T(test_catalog_drop_payload_frees_blob),
		T(test_catalog_drop_payload_shared_blob),
		T(test_catalog_drop_payload_twice),
		T(test_catalog_drop_payload_failed),
		T(test_catalog_drop_payload_pending_busy),
		T(test_catalog_drop_payload_unknown),
		T(test_catalog_drop_payload_current_moves_back),
		T(test_catalog_drop_payload_current_cleared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
