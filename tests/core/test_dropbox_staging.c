/*
 * test_dropbox_staging — staging files whose names do not name their
 * project (mkstemp's ".tmpab12cd", Ansible's ".ansible_tmp…", ".#web"):
 * bytes stream and are checked as usual, the rename onto deploy/<p>
 * deploys <p> and returns the verdict, and one removed or never renamed
 * leaves no record and no temp file. They are files of their own: their
 * creator's, by their mode, within deploy/'s sticky bit.
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
#include "dbutil.h"
#include "isotime.h"
#include "uuid7.h"

static const struct dfs_caller other = {.uid = 2000, .gid = 2000, .pid = 1};

static void stage(struct tu_fix *fix, const char *name, const void *buf,
		  size_t n)
{
	struct dfs_dbfile *f = tu_create(fix, name, SCREAT, 0600);

	tu_write_all(f, buf, n);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
}

static void test_dropbox_staging_any_name_deploys(void **state)
{
	static const char *const names[] = {".tmpab12cd", ".ansible_tmpk2j3web",
					    ".#web", ".web"};
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_dbstat sb;
	uint8_t *buf, hash[32];
	size_t n;

	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(tu_targz(50000, 10 + i, &buf, &n), 0);
		tu_sha256(buf, n, hash);
		stage(fix, names[i], buf, n);
		assert_int_equal(tu_count(fix, NULL),
				 i); /* none until renamed */
		tu_lookup(fix, names[i], &sb);
		assert_int_equal(sb.size, n);
		assert_int_equal(
			dfs_dropbox_rename(tu_db(fix), names[i], "web", &c), 0);
		assert_int_equal(tu_count(fix, "success"), i + 1);
		tu_current(fix, "web", &rec);
		assert_memory_equal(rec.payload_hash, hash, 32);
		assert_int_equal(rec.who.uid, c.uid);
		assert_int_equal(dfs_dropbox_lookup(tu_db(fix), names[i], &sb),
				 -ENOENT);
		free(buf);
	}
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_staging_started_at_first_byte(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	uint8_t buf[2048];
	int64_t t0, t1;

	tu_tar(buf, sizeof(buf), 20);
	t0 = dfs_time_now_ms();
	stage(fix, ".tmpab12cd", buf, sizeof(buf));
	usleep(30000);
	t1 = dfs_time_now_ms();
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".tmpab12cd", "web", &c), 0);
	tu_current(fix, "web", &rec);
	assert_true(rec.started_ms >= t0 && rec.started_ms < t1);
	/* Its id is of the rename: listings stay in record order. */
	assert_true((int64_t)dfs_uuid7_ms(rec.id) >= t1);
}

static void test_dropbox_staging_new_project_attrs(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_MODE, .mode = 0640};
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb, out;
	struct dfs_project p;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 21);
	stage(fix, ".tmpab12cd", buf, sizeof(buf));
	tu_lookup(fix, ".tmpab12cd", &sb);
	assert_int_equal(dfs_dropbox_setattr(tu_db(fix), sb.kind, sb.num, NULL,
					     &sa, &c, &out),
			 0);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".tmpab12cd", "api", &c), 0);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "api", &p),
		0);
	assert_int_equal(p.mode, 0640);
	assert_int_equal(p.uid, c.uid);
}

static void test_dropbox_staging_rename_failure(void **state)
{
	const char *text = "not an archive\n";
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_dbstat sb;

	stage(fix, ".tmpbad123", text, strlen(text));
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".tmpbad123", "web", &c),
		-EBADMSG);
	tu_latest(fix, "web", &rec);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "not_an_archive");
	tu_lookup(fix, ".tmpbad123",
		  &sb); /* stays, as after any failed rename */
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), ".tmpbad123", &c), 0);
	assert_int_equal(tu_count(fix, NULL), 1);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_staging_bad_target(void **state)
{
	struct dfs_caller c = tu_caller();
	struct dfs_dbstat sb;
	struct tu_fix *fix = *state;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 22);
	stage(fix, ".tmpab12cd", buf, sizeof(buf));
	/* Onto another staging name: moved, nothing committed. */
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".tmpab12cd", ".other", &c), 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".tmpab12cd", &sb),
			 -ENOENT);
	tu_lookup(fix, ".other", &sb);
	assert_int_equal(sb.size, sizeof(buf));
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), ".other", "-x", &c),
			 -EINVAL);
	assert_int_equal(tu_count(fix, NULL), 0);
}

static void test_dropbox_staging_unlink_leaves_nothing(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	uint8_t buf[8192];

	tu_tar(buf, sizeof(buf), 23);
	stage(fix, ".ansible_tmpk2j3web", buf, sizeof(buf));
	assert_true(tu_count_tmp(fix->dir) > 0);
	assert_int_equal(
		dfs_dropbox_unlink(tu_db(fix), ".ansible_tmpk2j3web", &c), 0);
	assert_int_equal(tu_count(fix, NULL), 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_staging_never_renamed_leaves_nothing(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[8192];

	tu_tar(buf, sizeof(buf), 24);
	stage(fix, ".#web", buf, sizeof(buf));
	dfs_dropbox_free(tu_db(fix));
	fix->extra = NULL;
	assert_int_equal(tu_count(fix, NULL), 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_staging_others_file(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_MODE, .mode = 0666};
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f = NULL;
	struct dfs_dbstat sb, out;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 25);
	stage(fix, ".tmpab12cd", buf, sizeof(buf));
	tu_lookup(fix, ".tmpab12cd", &sb);
	/* Its mode (0600) keeps it its creator's. */
	assert_int_equal(dfs_dropbox_open(tu_db(fix), sb.kind, sb.num, O_RDONLY,
					  &other, &f),
			 -EACCES);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), ".tmpab12cd", O_WRONLY,
					    0600, &other, &f),
			 -EACCES);
	assert_int_equal(dfs_dropbox_setattr(tu_db(fix), sb.kind, sb.num, NULL,
					     &sa, &other, &out),
			 -EPERM);
	/* The sticky bit of deploy/: not others' to remove or rename. */
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), ".tmpab12cd", &other),
			 -EPERM);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".tmpab12cd", "web", &other),
		-EPERM);
	assert_null(f);
	assert_int_equal(tu_count(fix, NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_staging_any_name_deploys),
		T(test_dropbox_staging_started_at_first_byte),
		T(test_dropbox_staging_new_project_attrs),
		T(test_dropbox_staging_rename_failure),
		T(test_dropbox_staging_bad_target),
		T(test_dropbox_staging_unlink_leaves_nothing),
		T(test_dropbox_staging_never_renamed_leaves_nothing),
		T(test_dropbox_staging_others_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
