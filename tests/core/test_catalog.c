/*
 * test_catalog — records, projects, indexes and blob references, written
 * against the catalog interface alone (catalog.h): the fixture
 * (tu_catalog_setup) opens the backend $DEPLOYFS_TEST_CATALOG names, so
 * the same suite runs against every backend.
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

#include "catalog.h"
#include "isotime.h"
#include "testutil.h"
#include "uuid7.h"

static void create(struct tu_fix *fix, const char *project,
		   struct dfs_record *rec)
{
	struct dfs_project_attr attr;
	struct dfs_who who;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(
		dfs_catalog_create(fix->cat, project, &who, &attr, rec), 0);
}

/* Settle @rec as a success holding the blob of @seed's hash. */
static void settle_success(struct tu_fix *fix, struct dfs_record *rec,
			   uint32_t seed)
{
	uint8_t data[64];

	tu_fill(data, sizeof(data), seed);
	rec->status = DFS_STATUS_SUCCESS;
	rec->phase = DFS_PHASE_DONE;
	rec->completed_ms = dfs_time_now_ms();
	rec->has_hash = true;
	tu_sha256(data, sizeof(data), rec->payload_hash);
	rec->payload_size = sizeof(data);
	rec->bytes_received = sizeof(data);
	strcpy(rec->payload_format, "tar+gzip");
	rec->payload_blob_present = true;
	assert_int_equal(dfs_catalog_update(fix->cat, rec, NULL, NULL), 0);
}

static void settle_failed(struct tu_fix *fix, struct dfs_record *rec)
{
	rec->status = DFS_STATUS_FAILED;
	rec->phase = DFS_PHASE_DONE;
	rec->completed_ms = dfs_time_now_ms();
	dfs_record_set_error(rec, DFS_ERR_NOT_AN_ARCHIVE, DFS_PHASE_VALIDATE,
			     "no");
	assert_int_equal(dfs_catalog_update(fix->cat, rec, NULL, NULL), 0);
}

struct collect {
	int n;
	int stop_at; /* 0: never */
	int stop_rc;
	uint8_t ids[16][16];
	uint64_t seqs[16];
	char names[16][DFS_PROJECT_MAX + 1];
};

static int collect_cb(void *arg, const struct dfs_entry *e)
{
	struct collect *c = arg;

	if (c->n < 16) {
		memcpy(c->ids[c->n], e->id, 16);
		c->seqs[c->n] = e->seq;
		snprintf(c->names[c->n], sizeof(c->names[0]), "%s",
			 e->name ? e->name : "");
	}
	c->n++;
	if (c->stop_at && c->n == c->stop_at)
		return c->stop_rc;
	return 0;
}

static void test_catalog_create_pending(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	int64_t before, after;

	before = dfs_time_now_ms();
	create(fix, "web", &rec);
	after = dfs_time_now_ms();
	assert_string_equal(rec.project, "web");
	assert_int_equal(rec.status, DFS_STATUS_PENDING);
	assert_int_equal(rec.phase, DFS_PHASE_UPLOAD);
	assert_int_equal(rec.started_ms, (int64_t)dfs_uuid7_ms(rec.id));
	assert_true(rec.started_ms >= before && rec.started_ms <= after);
	assert_int_equal(rec.completed_ms, DFS_TIME_NONE);
	assert_int_equal(rec.who.uid, 1000);
	assert_int_equal(rec.who.gid, 1001);
	assert_int_equal(rec.who.pid, 4242);
	assert_string_equal(rec.who.user, "ci");
	assert_string_equal(rec.who.command, "cp app.tar.gz /mnt/deploy/myapp");
	assert_string_equal(rec.origin_node, dfs_catalog_node(fix->cat));
	assert_true(rec.seq > 0);
	assert_false(rec.has_hash);
	assert_string_equal(rec.error.code, "");
}

static void test_catalog_create_bad_name(void **state)
{
	static const char *const bad[] = {"", "../x", "-x", ".web.abc123",
					  "a/b"};
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_record rec;
	struct dfs_project p;
	struct dfs_who who;
	size_t i;

	tu_who(&who);
	tu_attr(&attr, 0644);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			dfs_catalog_create(fix->cat, bad[i], &who, &attr, &rec),
			-EINVAL);
		assert_int_equal(dfs_catalog_project_get(fix->cat, bad[i], &p),
				 -ENOENT);
	}
	assert_int_equal(tu_count_records(fix->cat, DFS_SCAN_ALL, NULL), 0);
}

static void test_catalog_create_ids_increase(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record prev, rec;
	int i;

	create(fix, "web", &prev);
	for (i = 0; i < 20; i++) {
		create(fix, i % 2 ? "web" : "api", &rec);
		assert_true(memcmp(rec.id, prev.id, 16) > 0);
		assert_true(rec.seq > prev.seq);
		prev = rec;
	}
}

static void test_catalog_create_makes_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_project p, q;

	create(fix, "web", &rec);
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &p), 0);
	assert_string_equal(p.name, "web");
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.gid, 1001);
	assert_int_equal(p.mode & 07777, 0644);
	assert_true(p.pseq > 0);
	assert_false(p.has_current);
	assert_true(p.created_ms != DFS_TIME_NONE);
	assert_int_equal(dfs_catalog_project_get_seq(fix->cat, p.pseq, &q), 0);
	assert_string_equal(q.name, "web");
}

static void test_catalog_create_keeps_project_attr(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr = {.uid = 5, .gid = 6, .mode = 0600};
	struct dfs_record rec;
	struct dfs_project p;
	struct dfs_who who;

	create(fix, "web", &rec);
	tu_who(&who);
	assert_int_equal(dfs_catalog_create(fix->cat, "web", &who, &attr, &rec),
			 0);
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &p), 0);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.mode & 07777, 0644);
}

static void test_catalog_get_roundtrip(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;

	create(fix, "web", &rec);
	assert_int_equal(dfs_catalog_get(fix->cat, rec.id, &back), 0);
	assert_memory_equal(back.id, rec.id, 16);
	assert_int_equal(back.seq, rec.seq);
	assert_string_equal(back.project, "web");
	assert_int_equal(back.started_ms, rec.started_ms);
	memset(&back, 0, sizeof(back));
	assert_int_equal(dfs_catalog_get_seq(fix->cat, rec.seq, &back), 0);
	assert_memory_equal(back.id, rec.id, 16);
}

static void test_catalog_get_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	uint8_t id[16];

	create(fix, "web", &rec);
	dfs_uuid7_next(rec.id, (uint64_t)dfs_time_now_ms(), id);
	assert_int_equal(dfs_catalog_get(fix->cat, id, &back), -ENOENT);
	assert_int_equal(dfs_catalog_get_seq(fix->cat, rec.seq + 1000, &back),
			 -ENOENT);
}

static void test_catalog_update_success_sets_current(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	struct dfs_project p;
	uint64_t refs = 99;

	create(fix, "web", &rec);
	settle_success(fix, &rec, 1);
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &p), 0);
	assert_true(p.has_current);
	assert_memory_equal(p.current, rec.id, 16);
	assert_int_equal(
		dfs_catalog_blob_refs(fix->cat, rec.payload_hash, &refs), 0);
	assert_int_equal(refs, 1);
	assert_int_equal(dfs_catalog_get(fix->cat, rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_memory_equal(back.payload_hash, rec.payload_hash, 32);
	assert_string_equal(back.payload_format, "tar+gzip");
}

static void test_catalog_update_failed_no_current(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	struct dfs_project p;
	uint8_t id[16];

	create(fix, "web", &rec);
	settle_failed(fix, &rec);
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &p), 0);
	assert_false(p.has_current);
	assert_int_equal(dfs_catalog_get(fix->cat, rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "not_an_archive");
	assert_int_equal(dfs_catalog_latest(fix->cat, "web", id), 0);
	assert_memory_equal(id, rec.id, 16);
}

static void test_catalog_update_back_to_pending(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;

	create(fix, "web", &rec);
	settle_success(fix, &rec, 1);
	rec.status = DFS_STATUS_PENDING;
	rec.completed_ms = DFS_TIME_NONE;
	assert_int_equal(dfs_catalog_update(fix->cat, &rec, NULL, NULL),
			 -EINVAL);
	assert_int_equal(dfs_catalog_get(fix->cat, rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
}

static void test_catalog_update_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	uint8_t id[16];

	create(fix, "web", &rec);
	dfs_uuid7_next(rec.id, (uint64_t)dfs_time_now_ms(), id);
	memcpy(rec.id, id, 16);
	rec.status = DFS_STATUS_FAILED;
	rec.completed_ms = dfs_time_now_ms();
	assert_int_equal(dfs_catalog_update(fix->cat, &rec, NULL, NULL),
			 -ENOENT);
}

static void test_catalog_update_moves_status_index(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b;
	struct dfs_catalog *cat = fix->cat;

	create(fix, "web", &a);
	create(fix, "web", &b);
	assert_int_equal(tu_count_records(cat, DFS_SCAN_STATUS, "pending"), 2);
	settle_success(fix, &a, 1);
	settle_failed(fix, &b);
	assert_int_equal(tu_count_records(cat, DFS_SCAN_STATUS, "pending"), 0);
	assert_int_equal(tu_count_records(cat, DFS_SCAN_STATUS, "success"), 1);
	assert_int_equal(tu_count_records(cat, DFS_SCAN_STATUS, "failed"), 1);
	assert_int_equal(tu_count_records(cat, DFS_SCAN_ALL, NULL), 2);
}

static void test_catalog_update_current_only_newer(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record older, newer;
	struct dfs_project p;

	create(fix, "web", &older);
	create(fix, "web", &newer);
	settle_success(fix, &newer, 2);
	settle_success(fix, &older, 1); /* settles later, but is older */
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &p), 0);
	assert_true(p.has_current);
	assert_memory_equal(p.current, newer.id, 16);
}

static void test_catalog_update_attr(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr = {.uid = 7, .gid = 8, .mode = 0640};
	struct dfs_record rec;
	struct dfs_project p;

	create(fix, "web", &rec);
	rec.status = DFS_STATUS_SUCCESS;
	rec.phase = DFS_PHASE_DONE;
	rec.completed_ms = dfs_time_now_ms();
	rec.has_hash = true;
	tu_sha256("x", 1, rec.payload_hash);
	rec.payload_blob_present = true;
	assert_int_equal(dfs_catalog_update(fix->cat, &rec, &attr, NULL), 0);
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &p), 0);
	assert_int_equal(p.uid, 7);
	assert_int_equal(p.gid, 8);
	assert_int_equal(p.mode & 07777, 0640);
}

static void test_catalog_blob_refs_count(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b, c;
	uint64_t refs = 99;
	uint8_t other[32];

	create(fix, "web", &a);
	create(fix, "api", &b);
	create(fix, "web", &c);
	settle_success(fix, &a, 1);
	settle_success(fix, &b, 1);
	settle_success(fix, &c, 2);
	assert_int_equal(dfs_catalog_blob_refs(fix->cat, a.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 2);
	assert_int_equal(dfs_catalog_blob_refs(fix->cat, c.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 1);
	tu_fill(other, sizeof(other), 77);
	refs = 99;
	assert_int_equal(dfs_catalog_blob_refs(fix->cat, other, &refs), 0);
	assert_int_equal(refs, 0);
}

static void test_catalog_latest_any_status(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b, c;
	uint8_t id[16];

	create(fix, "web", &a);
	settle_success(fix, &a, 1);
	create(fix, "web", &b);
	settle_failed(fix, &b);
	create(fix, "api", &c);
	assert_int_equal(dfs_catalog_latest(fix->cat, "web", id), 0);
	assert_memory_equal(id, b.id, 16);
	assert_int_equal(dfs_catalog_latest(fix->cat, "api", id), 0);
	assert_memory_equal(id, c.id, 16);
}

static void test_catalog_latest_unknown(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t id[16], keep[16];

	memset(keep, 0xa5, sizeof(keep));
	memcpy(id, keep, 16);
	assert_int_equal(dfs_catalog_latest(fix->cat, "nope", id), -ENOENT);
	assert_memory_equal(id, keep, 16);
}

static void test_project_get_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project p;

	assert_int_equal(dfs_catalog_project_get(fix->cat, "nope", &p),
			 -ENOENT);
	assert_int_equal(dfs_catalog_project_get_seq(fix->cat, 12345, &p),
			 -ENOENT);
}

static void test_project_set_attr_changes(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr = {.uid = 0, .gid = 0, .mode = 0600};
	struct dfs_record rec;
	struct dfs_project before, p;

	create(fix, "web", &rec);
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &before), 0);
	assert_int_equal(dfs_catalog_project_set_attr(fix->cat, "web", &attr),
			 0);
	assert_int_equal(tu_catalog_open(fix), 0);
	assert_int_equal(dfs_catalog_project_get(fix->cat, "web", &p), 0);
	assert_int_equal(p.uid, 0);
	assert_int_equal(p.gid, 0);
	assert_int_equal(p.mode & 07777, 0600);
	assert_int_equal(p.pseq, before.pseq);
	assert_true(p.ctime_ms >= before.ctime_ms);
}

static void test_project_set_attr_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr = {.uid = 0, .gid = 0, .mode = 0600};

	assert_int_equal(dfs_catalog_project_set_attr(fix->cat, "nope", &attr),
			 -ENOENT);
}

static void test_catalog_recover_interrupted(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b, c, back;
	struct dfs_who self;
	unsigned n = 0;

	create(fix, "web", &a);
	create(fix, "web", &b);
	create(fix, "api", &c);
	settle_success(fix, &b, 1);
	dfs_who_self(&self);
	assert_int_equal(dfs_catalog_recover(fix->cat, &self, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(dfs_catalog_get(fix->cat, a.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "interrupted");
	assert_true(back.completed_ms != DFS_TIME_NONE);
	assert_int_equal(dfs_catalog_get(fix->cat, c.id, &back), 0);
	assert_string_equal(back.error.code, "interrupted");
	assert_int_equal(dfs_catalog_get(fix->cat, b.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_string_equal(back.error.code, "");
}

static void test_catalog_scan_all_order(void **state)
{
	struct tu_fix *fix = *state;
	struct collect c = {0};
	struct dfs_record recs[5];
	int i;

	for (i = 0; i < 5; i++)
		create(fix, i % 2 ? "web" : "api", &recs[i]);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_ALL, NULL, 0,
					  collect_cb, &c),
			 0);
	assert_int_equal(c.n, 5);
	for (i = 0; i < 5; i++) {
		assert_memory_equal(c.ids[i], recs[i].id, 16);
		assert_int_equal(c.seqs[i], recs[i].seq);
	}
}

static void test_catalog_scan_project(void **state)
{
	struct tu_fix *fix = *state;
	struct collect c = {0};
	struct dfs_record recs[6];
	int i;

	for (i = 0; i < 6; i++)
		create(fix, i % 3 ? "web" : "api", &recs[i]);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_PROJECT, "api", 0,
					  collect_cb, &c),
			 0);
	assert_int_equal(c.n, 2);
	assert_memory_equal(c.ids[0], recs[0].id, 16);
	assert_memory_equal(c.ids[1], recs[3].id, 16);
	memset(&c, 0, sizeof(c));
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_PROJECT, "nope", 0,
					  collect_cb, &c),
			 0);
	assert_int_equal(c.n, 0);
}

static void test_catalog_scan_status_bad_key(void **state)
{
	struct tu_fix *fix = *state;
	struct collect c = {0};
	struct dfs_record rec;

	create(fix, "web", &rec);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_STATUS, "bogus", 0,
					  collect_cb, &c),
			 -EINVAL);
	assert_int_equal(c.n, 0);
}

static void test_catalog_scan_projects_sorted(void **state)
{
	struct tu_fix *fix = *state;
	struct collect c = {0};
	struct dfs_project p;
	struct dfs_record rec;

	create(fix, "web", &rec);
	create(fix, "api", &rec);
	create(fix, "db", &rec);
	create(fix, "web", &rec);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_PROJECTS, NULL, 0,
					  collect_cb, &c),
			 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.names[0], "api");
	assert_string_equal(c.names[1], "db");
	assert_string_equal(c.names[2], "web");
	assert_int_equal(dfs_catalog_project_get(fix->cat, "db", &p), 0);
	assert_int_equal(c.seqs[1], p.pseq);
}

static void test_catalog_scan_after(void **state)
{
	struct tu_fix *fix = *state;
	struct collect c = {0};
	struct dfs_record recs[5];
	int i;

	for (i = 0; i < 5; i++)
		create(fix, "web", &recs[i]);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_ALL, NULL,
					  recs[1].seq, collect_cb, &c),
			 0);
	assert_int_equal(c.n, 3);
	assert_memory_equal(c.ids[0], recs[2].id, 16);
	memset(&c, 0, sizeof(c));
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_PROJECT, "web",
					  recs[3].seq, collect_cb, &c),
			 0);
	assert_int_equal(c.n, 1);
	assert_memory_equal(c.ids[0], recs[4].id, 16);
	memset(&c, 0, sizeof(c));
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_ALL, NULL,
					  recs[4].seq, collect_cb, &c),
			 0);
	assert_int_equal(c.n, 0);
}

static void test_catalog_scan_after_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct collect c = {0};
	struct dfs_record rec;

	/* Every scope: the indexes first, the whole-store walk last. */
	create(fix, "web", &rec);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_PROJECT, "web",
					  rec.seq + 1000, collect_cb, &c),
			 -ENOENT);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_STATUS, "pending",
					  rec.seq + 1000, collect_cb, &c),
			 -ENOENT);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_PROJECTS, NULL,
					  1000, collect_cb, &c),
			 -ENOENT);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_ALL, NULL,
					  rec.seq + 1000, collect_cb, &c),
			 -ENOENT);
	assert_int_equal(c.n, 0);
}

static void test_catalog_scan_stop(void **state)
{
	struct tu_fix *fix = *state;
	struct collect c = {.stop_at = 2, .stop_rc = 7};
	struct dfs_record rec;
	int i;

	for (i = 0; i < 4; i++)
		create(fix, "web", &rec);
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_ALL, NULL, 0,
					  collect_cb, &c),
			 7);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	c.stop_at = 3;
	c.stop_rc = -EIO;
	assert_int_equal(dfs_catalog_scan(fix->cat, DFS_SCAN_ALL, NULL, 0,
					  collect_cb, &c),
			 -EIO);
	assert_int_equal(c.n, 3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_catalog_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_catalog_create_pending),
		T(test_catalog_create_bad_name),
		T(test_catalog_create_ids_increase),
		T(test_catalog_create_makes_project),
		T(test_catalog_create_keeps_project_attr),
		T(test_catalog_get_roundtrip),
		T(test_catalog_get_unknown),
		T(test_catalog_update_success_sets_current),
		T(test_catalog_update_failed_no_current),
		T(test_catalog_update_back_to_pending),
		T(test_catalog_update_unknown),
		T(test_catalog_update_moves_status_index),
		T(test_catalog_update_current_only_newer),
		T(test_catalog_update_attr),
		T(test_catalog_blob_refs_count),
		T(test_catalog_latest_any_status),
		T(test_catalog_latest_unknown),
		T(test_project_get_unknown),
		T(test_project_set_attr_changes),
		T(test_project_set_attr_unknown),
		T(test_catalog_recover_interrupted),
		T(test_catalog_scan_all_order),
		T(test_catalog_scan_project),
		T(test_catalog_scan_status_bad_key),
		T(test_catalog_scan_projects_sorted),
		T(test_catalog_scan_after),
		T(test_catalog_scan_after_unknown),
		T(test_catalog_scan_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
