/*
 * test_deploy_name — a deployment begun without a project (a staging file
 * whose name does not name one): its upload streams and is checked, but
 * its record only appears when it is named, started at its first byte;
 * freed before that, it leaves nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "deploy.h"
#include "isotime.h"
#include "log.h"
#include "testutil.h"
#include "uuid7.h"

static struct dfs_deploy *begin_unnamed(struct tu_fix *fix)
{
	struct dfs_deploy *d = NULL;
	struct dfs_who who;

	tu_who(&who);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, NULL, &who, NULL, &d), 0);
	assert_non_null(d);
	assert_false(dfs_deploy_named(d));
	return d;
}

static void test_deploy_name_then_commit(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_record back;
	struct dfs_deploy *d;
	int64_t t0, t1;
	uint8_t *buf, hash[32];
	size_t n;
	int fd;

	assert_int_equal(tu_targz(100000, 3, &buf, &n), 0);
	tu_sha256(buf, n, hash);
	t0 = dfs_time_now_ms();
	d = begin_unnamed(fix);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, n), 0), 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 0);
	usleep(20000);
	t1 = dfs_time_now_ms();
	tu_attr(&attr, 0640);
	assert_int_equal(dfs_deploy_name(d, "web", &attr), 0);
	assert_true(dfs_deploy_named(d));
	/* Pending at once, started at the first byte, not at the naming. */
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st),
					 dfs_deploy_record(d)->id, &back),
			 0);
	assert_int_equal(back.status, DFS_STATUS_PENDING);
	assert_string_equal(back.project, "web");
	assert_true(back.started_ms >= t0 && back.started_ms < t1);
	assert_int_equal(back.bytes_received, n);
	assert_int_equal(dfs_deploy_name(d, "api", NULL), -EINVAL);

	assert_int_equal(dfs_deploy_commit(d, NULL, &attr), 0);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), back.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_memory_equal(back.payload_hash, hash, 32);
	assert_true(back.started_ms >= t0 && back.started_ms < t1);
	/* The manifest the check wrote moved beside the record. */
	assert_int_equal(
		dfs_log_open(fix->st, DFS_MANIFEST, back.id, false, &fd), 0);
	assert_true(lseek(fd, 0, SEEK_END) > 0);
	close(fd);
	dfs_deploy_free(d);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	free(buf);
}

static void test_deploy_name_commit_unnamed_refused(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d = begin_unnamed(fix);
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 4);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, sizeof(buf)), 0),
			 0);
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), -EINVAL);
	assert_false(dfs_deploy_settled(d));
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 0);
	dfs_deploy_free(d);
}

static void test_deploy_name_abort_leaves_nothing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d = begin_unnamed(fix);
	uint8_t buf[4096];

	tu_tar(buf, sizeof(buf), 5);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, sizeof(buf)), 0),
			 0);
	assert_true(tu_count_tmp(fix->dir) > 0);
	dfs_deploy_abort(d);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_deploy_name_bad_name(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d = begin_unnamed(fix);

	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM("x", 1), 0), 0);
	assert_int_equal(dfs_deploy_name(d, ".hidden", NULL), -EINVAL);
	assert_false(dfs_deploy_named(d));
	dfs_deploy_abort(d);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_deploy_name_failed_check(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d = begin_unnamed(fix);
	const char *text = "no archive here\n";

	assert_int_equal(
		dfs_deploy_write(d, DFS_SRC_MEM(text, strlen(text)), 0), 0);
	assert_int_equal(dfs_deploy_name(d, "web", NULL), 0);
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), -EBADMSG);
	assert_int_equal(dfs_deploy_record(d)->status, DFS_STATUS_FAILED);
	assert_string_equal(dfs_deploy_record(d)->error.code, "not_an_archive");
	dfs_deploy_free(d);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 1);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_deploy_name_then_commit),
		T(test_deploy_name_commit_unnamed_refused),
		T(test_deploy_name_abort_leaves_nothing),
		T(test_deploy_name_bad_name),
		T(test_deploy_name_failed_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
