/*
 * test_dropbox_attr — staging files (rsync's temp names) that deploy at
 * rename and are abandoned by unlink, and setattr on drop boxes: times
 * for rsync's quick check, modes that persist, truncates that deploy.
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
#include "isotime.h"

/* 2026-11-26T21:53:20.123456789Z: rsync compares nanoseconds. */
static const struct timespec mtime_ts = {1795730000, 123456789};
#define MTIME_MS 1795730000123LL
#define MTIME_NS 456789

static void test_dropbox_staging_rename_commits(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_record rec;
	struct dfs_dbstat sb;
	struct dfs_dbfile *f;
	uint8_t *buf, hash[32];
	size_t n;

	assert_int_equal(tu_targz(80000, 7, &buf, &n), 0);
	tu_sha256(buf, n, hash);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, buf, n);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, "success"), 0);

	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.abc123", "web", &c), 0);
	assert_int_equal(tu_count(fix, NULL), 1);
	assert_int_equal(tu_count(fix, "success"), 1);
	tu_current(fix, "web", &rec);
	assert_memory_equal(rec.payload_hash, hash, 32);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".web.abc123", &sb),
			 -ENOENT);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), 0);
	assert_int_equal(sb.size, n);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	free(buf);
}

static void test_dropbox_staging_flush_commits_nothing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 8);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, buf, sizeof(buf));
	assert_int_equal(dfs_dbfile_flush(f), 0);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	assert_int_equal(tu_count(fix, "success"), 0);
	assert_int_equal(tu_count(fix, "failed"), 0);
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, "success"), 0);
	assert_int_equal(tu_count(fix, "failed"), 0);
}

static void test_dropbox_staging_survives_close(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[3000], back[4000];
	struct dfs_dbstat sb;
	struct dfs_dbfile *f;

	tu_tar(buf, sizeof(buf), 9);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, buf, sizeof(buf));
	dfs_dbfile_close(f);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".web.abc123", &sb), 0);
	assert_int_equal(sb.kind, DFS_DB_NODE);
	assert_int_equal(sb.size, sizeof(buf));
	assert_int_equal(sb.mode & 07777, 0600);
	assert_int_equal(tu_cat(fix, ".web.abc123", back, sizeof(back)),
			 sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
}

static void test_dropbox_staging_mtime_then_rename(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_setattr sa = {.mask = DFS_SET_MTIME, .mtime = mtime_ts};
	struct dfs_caller c = tu_caller();
	struct dfs_record rec;
	struct dfs_dbstat sb;
	struct dfs_dbfile *f;
	uint8_t buf[3000];

	/* rsync: write the temp file, close, set its times, rename. */
	tu_tar(buf, sizeof(buf), 10);
	f = tu_create(fix, ".web.Xy9_zz", SCREAT, 0600);
	tu_write_all(f, buf, sizeof(buf));
	dfs_dbfile_close(f);
	assert_int_equal(tu_setattr(fix, ".web.Xy9_zz", &sa), 0);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.Xy9_zz", "web", &c), 0);
	tu_current(fix, "web", &rec);
	assert_int_equal(rec.source_mtime_ms, MTIME_MS);
	assert_int_equal(rec.source_mtime_ns, MTIME_NS);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(sb.mtime.tv_sec, mtime_ts.tv_sec);
	assert_int_equal(sb.mtime.tv_nsec, mtime_ts.tv_nsec);
}

static void test_dropbox_unlink_staging_abandons(void **state)
{
	struct dfs_caller caller = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 11);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, buf, sizeof(buf));
	dfs_dbfile_close(f);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), ".web.abc123", &caller),
			 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".web.abc123", &sb),
			 -ENOENT);
	assert_int_equal(tu_count(fix, "success"), 0);
	assert_int_equal(tu_count(fix, "pending"), 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_rename_wrong_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 13);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, buf, sizeof(buf));
	dfs_dbfile_close(f);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.abc123", "api", &c),
		-EINVAL);
	assert_int_equal(tu_count(fix, "success"), 0);
}

static void test_dropbox_rename_missing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();

	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.abc123", "web", &c),
		-ENOENT);
}

static void test_dropbox_rename_from_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 28);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web", &c),
			 -EPERM);
}

static void test_dropbox_rename_failed_commit_keeps_staging(void **state)
{
	const char *text = "plain text, no archive\n";
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_dbstat sb;
	struct dfs_dbfile *f;

	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, (const uint8_t *)text, strlen(text));
	dfs_dbfile_close(f);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.abc123", "web", &c),
		-EBADMSG);
	tu_lookup(fix, ".web.abc123", &sb);
	assert_int_equal(tu_count(fix, "failed"), 1);
	assert_int_equal(tu_count(fix, "success"), 0);
}

static void test_dropbox_setattr_truncate_deploys(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_SIZE, .size = 2048};
	struct tu_fix *fix = *state;
	uint8_t buf[5000], want[32];
	struct dfs_record rec;

	/* A tar of 2048 bytes, then zero padding the truncate cuts off. */
	tu_tar(buf, 2048, 29);
	memset(buf + 2048, 0, sizeof(buf) - 2048);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
	assert_int_equal(tu_count(fix, "success"), 2);
	tu_current(fix, "web", &rec);
	tu_sha256(buf, 2048, want);
	assert_int_equal(rec.payload_size, 2048);
	assert_memory_equal(rec.payload_hash, want, 32);
}

static void test_dropbox_setattr_mtime_sets_source_mtime(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_setattr sa = {.mask = DFS_SET_MTIME, .mtime = mtime_ts};
	struct dfs_record rec;
	struct dfs_dbstat sb;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 20);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
	tu_current(fix, "web", &rec);
	assert_int_equal(rec.source_mtime_ms, MTIME_MS);
	assert_int_equal(rec.source_mtime_ns, MTIME_NS);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(sb.mtime.tv_sec, mtime_ts.tv_sec);
	assert_int_equal(sb.mtime.tv_nsec, mtime_ts.tv_nsec);
	/* rsync's quick check then matches: no deployment of its own. */
	assert_int_equal(tu_count(fix, NULL), 1);
}

static void test_dropbox_setattr_mtime_open_writer(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_MTIME, .mtime = mtime_ts};
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_dbfile *f;
	uint8_t a[2048], b[2560];

	/* A writer is open when the times arrive: its deployment gets them. */
	tu_tar(a, sizeof(a), 30);
	tu_tar(b, sizeof(b), 31);
	assert_int_equal(tu_cp(fix, "web", a, sizeof(a)), 0);
	f = tu_open(fix, "web", O_WRONLY | O_TRUNC);
	tu_write_all(f, b, sizeof(b));
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	tu_current(fix, "web", &rec);
	assert_int_equal(rec.payload_size, sizeof(b));
	assert_int_equal(rec.source_mtime_ms, MTIME_MS);
	assert_int_equal(rec.source_mtime_ns, MTIME_NS);
}

static void test_dropbox_setattr_mtime_idle_writer(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_MTIME, .mtime = mtime_ts};
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_dbfile *f;
	struct dfs_dbstat sb;
	uint8_t buf[2048];

	/* touch: open, no byte written, utimens, close. */
	tu_tar(buf, sizeof(buf), 33);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	f = tu_open(fix, "web", O_WRONLY);
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	tu_current(fix, "web", &rec);
	assert_int_equal(rec.source_mtime_ms, MTIME_MS);
	assert_int_equal(rec.source_mtime_ns, MTIME_NS);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(sb.mtime.tv_sec, mtime_ts.tv_sec);
	assert_int_equal(sb.mtime.tv_nsec, mtime_ts.tv_nsec);
	assert_int_equal(tu_count(fix, NULL), 1);
}

static void test_dropbox_free_abandons_staging(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 32);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, buf, sizeof(buf));
	dfs_dbfile_close(f);
	dfs_dropbox_free(tu_db(fix));
	fix->extra = NULL;
	tu_latest(fix, "web", &rec);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "aborted");
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_setattr_mode_persists(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_setattr sa = {.mask = DFS_SET_MODE, .mode = 0600};
	struct dfs_dbstat sb;
	struct dfs_project p;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 21);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(sb.mode & 07777, 0600);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(p.mode & 07777, 0600);
	assert_int_equal(tu_count(fix, NULL), 1);
}

/* rsync's chmod/chown of its temp file does not re-permission a project. */
static void test_dropbox_rename_keeps_project_attrs(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_setattr sa = {
		.mask = DFS_SET_MODE | DFS_SET_UID, .mode = 0644, .uid = 65534};
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f;
	struct dfs_project p;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 22);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	sa.mask = DFS_SET_MODE;
	sa.mode = 0640;
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
	f = tu_create(fix, ".web.abc123", O_WRONLY | O_EXCL, 0600);
	tu_tar(buf, sizeof(buf), 23);
	tu_write_all(f, buf, sizeof(buf));
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	sa.mask = DFS_SET_MODE | DFS_SET_UID;
	sa.mode = 0644;
	assert_int_equal(tu_setattr(fix, ".web.abc123", &sa), 0);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.abc123", "web", &c), 0);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(p.mode & 07777, 0640);
	assert_int_equal(p.uid, c.uid);
	assert_int_equal(tu_count(fix, NULL), 2);
}

static int scan_cb(void *arg, const char *name, enum dfs_dbkind kind,
		   uint64_t num)
{
	char *seen = arg;

	(void)num;
	(void)kind;
	strcat(seen, name);
	strcat(seen, "|");
	return 0;
}

static void test_dropbox_scan_staging(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbfile *a, *b;
	char seen[256] = "";

	a = tu_create(fix, ".web.aaaaaa", SCREAT, 0600);
	b = tu_create(fix, ".api.bbbbbb", SCREAT, 0600);
	dfs_dbfile_close(a);
	dfs_dbfile_close(b);
	assert_int_equal(dfs_dropbox_scan(tu_db(fix), 0, 0, scan_cb, seen), 0);
	assert_non_null(strstr(seen, ".web.aaaaaa|"));
	assert_non_null(strstr(seen, ".api.bbbbbb|"));
	assert_int_equal(strlen(seen), 2 * strlen(".web.aaaaaa|"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_staging_rename_commits),
		T(test_dropbox_staging_flush_commits_nothing),
		T(test_dropbox_staging_survives_close),
		T(test_dropbox_staging_mtime_then_rename),
		T(test_dropbox_unlink_staging_abandons),
		T(test_dropbox_rename_wrong_project),
		T(test_dropbox_rename_missing),
		T(test_dropbox_rename_from_project),
		T(test_dropbox_rename_failed_commit_keeps_staging),
		T(test_dropbox_setattr_truncate_deploys),
		T(test_dropbox_setattr_mtime_sets_source_mtime),
		T(test_dropbox_setattr_mtime_open_writer),
		T(test_dropbox_setattr_mtime_idle_writer),
		T(test_dropbox_free_abandons_staging),
		T(test_dropbox_setattr_mode_persists),
		T(test_dropbox_rename_keeps_project_attrs),
		T(test_dropbox_scan_staging),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
