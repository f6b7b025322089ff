/*
 * test_max_payload — the store's max_payload through the deploy and the
 * dropbox layers: a write past it fails the deployment in progress as
 * too_large, and a write or truncate past it that would start one (or
 * copy the current payload) is refused before anything is made.
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
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "dbutil.h"
#include "deploy.h"

#define MAX  10000
#define HUGE (1ULL << 40) /* truncate -s 1T */

static struct dfs_deploy *begin(struct tu_fix *fix)
{
	struct dfs_project_attr attr;
	struct dfs_deploy *d = NULL;
	struct dfs_who who;

	fix->conf.max_payload = MAX;
	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, "web", &who, &attr, &d),
		0);
	return d;
}

static void test_deploy_max_payload_default(void **state)
{
	struct tu_fix *fix = *state;

	assert_int_equal(dfs_deploy_max_payload(NULL), 64ULL << 30);
	assert_int_equal(dfs_deploy_max_payload(&fix->conf), 64ULL << 30);
	fix->conf.max_payload = MAX;
	assert_int_equal(dfs_deploy_max_payload(&fix->conf), MAX);
}

static void test_deploy_write_past_max_too_large(void **state)
{
	struct tu_fix *fix = *state;
	const struct dfs_record *r;
	uint8_t buf[8000];
	struct dfs_record back;
	struct dfs_deploy *d;

	tu_tar(buf, sizeof(buf), 41);
	d = begin(fix);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, sizeof(buf)), 0),
			 0);
	assert_int_equal(
		dfs_deploy_write(d, DFS_SRC_MEM(buf, 4000), sizeof(buf)),
		-EFBIG);
	r = dfs_deploy_record(d);
	assert_true(dfs_deploy_settled(d));
	assert_int_equal(r->status, DFS_STATUS_FAILED);
	assert_string_equal(r->error.code, "too_large");
	assert_non_null(strstr(r->error.message, "max_payload"));
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	/* The writer's later calls and its close see the same error. */
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, 10), 0), -EFBIG);
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), -EFBIG);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), r->id, &back), 0);
	assert_string_equal(back.error.code, "too_large");
	dfs_deploy_free(d);
	assert_int_equal(tu_count_blobs(fix->dir), 0);
}

static void test_deploy_truncate_past_max_refused(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[5120];
	struct dfs_deploy *d;

	tu_tar(buf, sizeof(buf), 42);
	d = begin(fix);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, sizeof(buf)), 0),
			 0);
	assert_int_equal(dfs_deploy_truncate(d, MAX + 1), -EFBIG);
	assert_int_equal(dfs_deploy_truncate(d, HUGE), -EFBIG);
	/* Refused, not failed: the deployment goes on unchanged. */
	assert_false(dfs_deploy_settled(d));
	assert_int_equal(dfs_deploy_size(d), sizeof(buf));
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), 0);
	assert_int_equal(dfs_deploy_record(d)->payload_size, sizeof(buf));
	dfs_deploy_free(d);
}

static void test_dropbox_write_past_max_starts_nothing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f;
	uint8_t byte = 1;

	fix->conf.max_payload = MAX;
	/* dd bs=1 seek=1T count=1 conv=notrunc of a new project. */
	f = tu_create(fix, "web", O_WRONLY | O_CREAT, 0644);
	assert_int_equal(dfs_dbfile_write(f, DFS_SRC_MEM(&byte, 1), HUGE, &c),
			 -EFBIG);
	assert_int_equal(
		dfs_dbfile_write(f, DFS_SRC_MEM(&byte, 1), UINT64_MAX, &c),
		-EFBIG);
	assert_int_equal(tu_count(fix, NULL), 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	assert_int_equal(dfs_dbfile_flush(f), 0); /* nothing to commit */
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, NULL), 0);
}

static void test_dropbox_write_past_max_fails_deploy(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_record rec;
	struct dfs_dbfile *f;
	uint8_t buf[8000];

	fix->conf.max_payload = MAX;
	tu_tar(buf, sizeof(buf), 43);
	/* cp of a payload larger than the limit. */
	f = tu_create(fix, "web", WCREAT, 0644);
	assert_int_equal(
		dfs_dbfile_write(f, DFS_SRC_MEM(buf, sizeof(buf)), 0, &c), 0);
	assert_int_equal(dfs_dbfile_write(f, DFS_SRC_MEM(buf, sizeof(buf)),
					  sizeof(buf), &c),
			 -EFBIG);
	assert_int_equal(dfs_dbfile_flush(f), -EFBIG);
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, "failed"), 1);
	tu_latest(fix, "web", &rec);
	assert_string_equal(rec.error.code, "too_large");
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_truncate_past_max_refused(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_SIZE, .size = HUGE};
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_record rec;
	struct dfs_dbstat sb;
	struct dfs_dbfile *f;
	uint8_t buf[5120];

	tu_tar(buf, sizeof(buf), 44);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	fix->conf.max_payload = MAX;
	/* truncate -s 1T deploy/web: no deployment, no copy, no temp file. */
	assert_int_equal(tu_setattr(fix, "web", &sa), -EFBIG);
	sa.size = MAX + 1;
	assert_int_equal(tu_setattr(fix, "web", &sa), -EFBIG);
	assert_int_equal(tu_count(fix, NULL), 1);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	tu_current(fix, "web", &rec);
	assert_int_equal(rec.payload_size, sizeof(buf));
	/* Through an open handle (dd seek=1T), and on a staging file. */
	f = tu_open(fix, "web", O_WRONLY);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(dfs_dropbox_setattr(tu_db(fix), sb.kind, sb.num, f,
					     &sa, &c, &sb),
			 -EFBIG);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	dfs_dbfile_close(f);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_lookup(fix, ".web.abc123", &sb);
	assert_int_equal(dfs_dropbox_setattr(tu_db(fix), sb.kind, sb.num, f,
					     &sa, &c, &sb),
			 -EFBIG);
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, NULL), 1);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	/* Up to the limit is fine. */
	sa.size = MAX;
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
	tu_latest(fix, "web", &rec);
	assert_int_equal(rec.payload_size, MAX);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_deploy_max_payload_default),
		T(test_deploy_write_past_max_too_large),
		T(test_deploy_truncate_past_max_refused),
		T(test_dropbox_write_past_max_starts_nothing),
		T(test_dropbox_write_past_max_fails_deploy),
		T(test_dropbox_truncate_past_max_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
