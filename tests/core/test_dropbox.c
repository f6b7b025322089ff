/*
 * test_dropbox — deploy/<project> as cp, dd, cat and the shell see it:
 * a write starts a deployment, flush commits it (once, however often it
 * is called), a read gives the current payload, and a handle opened
 * without O_TRUNC starts from a copy of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

static void test_dropbox_flush_commits_new_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_project p;
	uint8_t *buf, hash[32];
	size_t n;

	assert_int_equal(tu_targz(100000, 1, &buf, &n), 0);
	tu_sha256(buf, n, hash);
	assert_int_equal(tu_cp(fix, "web", buf, n), 0);
	assert_int_equal(tu_count(fix, NULL), 1);
	tu_latest(fix, "web", &rec);
	assert_int_equal(rec.status, DFS_STATUS_SUCCESS);
	assert_memory_equal(rec.payload_hash, hash, 32);
	assert_int_equal(rec.payload_size, n);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());
	assert_int_equal(p.mode & 07777, 0644);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	free(buf);
}

static void test_dropbox_flush_records_writer(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 2);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	tu_latest(fix, "web", &rec);
	assert_int_equal(rec.who.uid, getuid());
	assert_int_equal(rec.who.pid, getpid());
	assert_non_null(strstr(rec.who.command, "test_dropbox"));
}

static void test_dropbox_flush_without_write(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	uint8_t id[16];

	f = tu_open_trunc(fix, "web");
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	assert_int_equal(
		dfs_catalog_latest(dfs_store_catalog(fix->st), "web", id),
		-ENOENT);
	assert_int_equal(tu_count(fix, NULL), 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_flush_touch_existing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 3);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	f = tu_open(fix, "web", O_WRONLY);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, NULL), 1);
}

static void test_dropbox_flush_not_archive(void **state)
{
	const char *text = "not a tarball at all\n";
	struct tu_fix *fix = *state;
	struct dfs_record rec;

	assert_int_equal(tu_cp(fix, "web", (const uint8_t *)text, strlen(text)),
			 -EBADMSG);
	tu_latest(fix, "web", &rec);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "not_an_archive");
	assert_int_equal(tu_count(fix, NULL), 1);
}

static void test_dropbox_flush_twice_same_result(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 4);
	f = tu_open_trunc(fix, "web");
	tu_write_all(f, buf, sizeof(buf));
	assert_int_equal(dfs_dbfile_flush(f), 0);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);

	f = tu_open_trunc(fix, "api");
	tu_write_all(f, (const uint8_t *)"junk", 4);
	assert_int_equal(dfs_dbfile_flush(f), -EBADMSG);
	assert_int_equal(dfs_dbfile_flush(f), -EBADMSG);
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, NULL), 2);
	assert_int_equal(tu_count(fix, "success"), 1);
}

struct flusher {
	struct dfs_dbfile *f;
	pthread_barrier_t *bar;
	int rc;
};

static void *flush_thread(void *arg)
{
	struct flusher *fl = arg;

	pthread_barrier_wait(fl->bar);
	fl->rc = dfs_dbfile_flush(fl->f);
	return NULL;
}

static void test_dropbox_flush_concurrent(void **state)
{
	struct tu_fix *fix = *state;
	struct flusher fl[2];
	pthread_barrier_t bar;
	pthread_t th[2];
	struct dfs_dbfile *f;
	uint8_t *buf;
	size_t n;
	int i;

	assert_int_equal(tu_targz(400000, 5, &buf, &n), 0);
	f = tu_open_trunc(fix, "web");
	tu_write_all(f, buf, n);
	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++) {
		fl[i].f = f;
		fl[i].bar = &bar;
		fl[i].rc = 12345;
		assert_int_equal(
			pthread_create(&th[i], NULL, flush_thread, &fl[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	dfs_dbfile_close(f);
	assert_int_equal(fl[0].rc, 0);
	assert_int_equal(fl[1].rc, fl[0].rc);
	assert_int_equal(tu_count(fix, NULL), 1);
	assert_int_equal(tu_count(fix, "success"), 1);
	free(buf);
}

static void test_dropbox_close_without_flush_abandons(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 6);
	f = tu_open_trunc(fix, "web");
	tu_write_all(f, buf, sizeof(buf));
	dfs_dbfile_close(f);
	tu_latest(fix, "web", &rec);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "aborted");
	assert_int_equal(tu_count(fix, "success"), 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_dropbox_create_invisible_until_deploy(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 25);
	/* Nothing recorded yet: a touch of a new name leaves no project. */
	f = tu_create(fix, "web", O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), -ENOENT);
	tu_write_all(f, buf, sizeof(buf));
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(sb.kind, DFS_DB_PROJECT);
	assert_int_equal(sb.size, sizeof(buf));
}

static void test_dropbox_create_concurrent_new_project(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t a[2048], b[3000];
	struct dfs_dbfile *fa, *fb;
	struct dfs_record rec;

	/* Two cp of a project nobody has deployed yet: both succeed. */
	tu_tar(a, sizeof(a), 26);
	tu_tar(b, sizeof(b), 27);
	fa = tu_create(fix, "web", O_WRONLY | O_TRUNC, 0644);
	fb = tu_create(fix, "web", O_WRONLY | O_TRUNC, 0644);
	tu_write_all(fa, a, sizeof(a));
	tu_write_all(fb, b, sizeof(b));
	assert_int_equal(dfs_dbfile_flush(fa), 0);
	assert_int_equal(dfs_dbfile_flush(fb), 0);
	dfs_dbfile_close(fa);
	dfs_dbfile_close(fb);
	assert_int_equal(tu_count(fix, "success"), 2);
	tu_current(fix, "web", &rec);
	assert_int_equal(rec.payload_size, sizeof(b));
}

static void test_dropbox_read_current(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_dbstat sb;
	uint8_t *buf, *back;
	size_t n;

	assert_int_equal(tu_targz(150000, 14, &buf, &n), 0);
	assert_int_equal(tu_cp(fix, "web", buf, n), 0);
	back = malloc(n + 100);
	assert_non_null(back);
	assert_int_equal(tu_cat(fix, "web", back, n + 100), n);
	assert_memory_equal(back, buf, n);
	tu_current(fix, "web", &rec);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), 0);
	assert_int_equal(sb.size, n);
	assert_int_equal(dfs_time_from_timespec(&sb.mtime),
			 rec.source_mtime_ms);
	free(back);
	free(buf);
}

static void test_dropbox_flush_failure_keeps_current(void **state)
{
	const char *text = "oops, a log file\n";
	struct tu_fix *fix = *state;
	uint8_t buf[3000], back[4000];

	tu_tar(buf, sizeof(buf), 33);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(tu_cp(fix, "web", (const uint8_t *)text, strlen(text)),
			 -EBADMSG);
	assert_int_equal(tu_cat(fix, "web", back, sizeof(back)), sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
}

static void test_dropbox_read_after_redeploy(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t a[5000], b[7000], back[8000];

	tu_tar(a, sizeof(a), 15);
	tu_tar(b, sizeof(b), 16);
	assert_int_equal(tu_cp(fix, "web", a, sizeof(a)), 0);
	assert_int_equal(tu_cp(fix, "web", b, sizeof(b)), 0);
	assert_int_equal(tu_cat(fix, "web", back, sizeof(back)), sizeof(b));
	assert_memory_equal(back, b, sizeof(b));
}

static void test_dropbox_open_notrunc_offset_write(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	uint8_t buf[20000], back[20000], want[32];
	struct dfs_record rec;
	struct dfs_dbfile *f;

	/* Plain tar: bytes changed in the file's data keep it valid. */
	tu_tar(buf, sizeof(buf), 17);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	f = tu_open(fix, "web", O_WRONLY);
	assert_int_equal(dfs_dbfile_write(f, DFS_SRC_MEM("ABCD", 4),
					  TU_TAR_DATA + 100, &c),
			 0);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);

	memcpy(buf + TU_TAR_DATA + 100, "ABCD", 4);
	tu_sha256(buf, sizeof(buf), want);
	assert_int_equal(tu_count(fix, NULL), 2);
	tu_current(fix, "web", &rec);
	assert_memory_equal(rec.payload_hash, want, 32);
	assert_int_equal(rec.payload_size, sizeof(buf));
	assert_int_equal(tu_cat(fix, "web", back, sizeof(back)), sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
}

static void test_dropbox_open_trunc_replaces(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t a[20000], b[5000], want[32];
	struct dfs_record rec;

	tu_tar(a, sizeof(a), 18);
	tu_tar(b, sizeof(b), 19);
	assert_int_equal(tu_cp(fix, "web", a, sizeof(a)), 0);
	assert_int_equal(tu_cp(fix, "web", b, sizeof(b)), 0);
	tu_sha256(b, sizeof(b), want);
	tu_current(fix, "web", &rec);
	assert_memory_equal(rec.payload_hash, want, 32);
	assert_int_equal(rec.payload_size, sizeof(b));
}

static void test_dropbox_stat_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;
	struct dfs_project p;
	uint8_t buf[2345];

	tu_tar(buf, sizeof(buf), 22);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), 0);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(sb.kind, DFS_DB_PROJECT);
	assert_int_equal(sb.num, p.pseq);
	assert_int_equal(sb.uid, getuid());
	assert_int_equal(sb.gid, getgid());
	assert_int_equal(sb.mode & 07777, 0644);
	assert_int_equal(sb.size, sizeof(buf));
	assert_true(sb.ctime.tv_sec > 0);
	assert_true(sb.mtime.tv_sec > 0);
}

static void test_dropbox_lookup_errors(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "nope", &sb), -ENOENT);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".nope.abc123", &sb),
			 -ENOENT);
	/* Whatever the name: a stat of what is not there is ENOENT. */
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "-bad", &sb), -ENOENT);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".tmpab12cd", &sb),
			 -ENOENT);
}

static void test_dropbox_stat_by_num(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb, again;
	struct dfs_dbfile *f;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 23);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(dfs_dropbox_stat(tu_db(fix), sb.kind, sb.num, &again),
			 0);
	assert_int_equal(again.kind, DFS_DB_PROJECT);
	assert_int_equal(again.num, sb.num);
	assert_int_equal(again.size, sizeof(buf));

	f = tu_create(fix, ".api.abc123", SCREAT, 0600);
	assert_int_equal(dfs_dbfile_stat(f, &sb), 0);
	assert_int_equal(sb.kind, DFS_DB_NODE);
	assert_int_equal(dfs_dropbox_stat(tu_db(fix), sb.kind, sb.num, &again),
			 0);
	assert_int_equal(again.num, sb.num);
	assert_int_equal(again.mode & 07777, 0600);
	dfs_dbfile_close(f);
	assert_int_equal(
		dfs_dropbox_stat(tu_db(fix), DFS_DB_PROJECT, 99999, &again),
		-ENOENT);
	assert_int_equal(
		dfs_dropbox_stat(tu_db(fix), DFS_DB_NODE, 99999, &again),
		-ENOENT);
}

static void test_dropbox_create_bad_name(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f = NULL;

	assert_int_equal(
		dfs_dropbox_create(tu_db(fix), "-x", WCREAT, 0644, &c, &f),
		-EINVAL);
	assert_int_equal(
		dfs_dropbox_create(tu_db(fix), "..", WCREAT, 0644, &c, &f),
		-EINVAL);
	assert_int_equal(
		dfs_dropbox_create(tu_db(fix), ".we\tb", WCREAT, 0644, &c, &f),
		-EINVAL);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), "web\xc3\xa9", WCREAT,
					    0644, &c, &f),
			 -EINVAL);
	assert_null(f);
	assert_int_equal(tu_count(fix, NULL), 0);
}

static void test_dropbox_open_missing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f = NULL;

	assert_int_equal(dfs_dropbox_open(tu_db(fix), DFS_DB_PROJECT, 12345,
					  O_RDONLY, &c, &f),
			 -ENOENT);
	assert_int_equal(dfs_dropbox_open(tu_db(fix), DFS_DB_NODE, 12345,
					  O_RDONLY, &c, &f),
			 -ENOENT);
	assert_null(f);
}

static void test_dropbox_create_excl_existing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f = NULL;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 24);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), "web", WCREAT | O_EXCL,
					    0644, &c, &f),
			 -EEXIST);
	assert_null(f);
}

/*
 * cp's O_EXCL create that lost the race to a first deploy in flight (here
 * or on another host sharing the catalog) adopts the new project; on one
 * host the in-flight project keeps its name.
 */
static void test_dropbox_create_excl_first_deploy_in_flight(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *a = NULL, *b = NULL;
	struct dfs_record cur;
	struct dfs_dbstat st;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 24);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), "web", WCREAT | O_EXCL,
					    0644, &c, &a),
			 0);
	tu_write_all(a, buf, 1024); /* the project row exists, pending */
	/* One host (LMDB): the name is there; hidden only on a shared catalog. */
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &st), 0);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), "web", WCREAT | O_EXCL,
					    0644, &c, &b),
			 0);
	tu_write_all(a, buf + 1024, sizeof(buf) - 1024);
	assert_int_equal(dfs_dbfile_flush(a), 0);
	dfs_dbfile_close(a);
	tu_write_all(b, buf, sizeof(buf));
	assert_int_equal(dfs_dbfile_flush(b), 0);
	dfs_dbfile_close(b);
	tu_current(fix, "web", &cur);
	assert_int_equal(cur.version, 2);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &st), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_flush_commits_new_project),
		T(test_dropbox_flush_records_writer),
		T(test_dropbox_flush_without_write),
		T(test_dropbox_flush_touch_existing),
		T(test_dropbox_flush_not_archive),
		T(test_dropbox_flush_twice_same_result),
		T(test_dropbox_flush_concurrent),
		T(test_dropbox_close_without_flush_abandons),
		T(test_dropbox_create_invisible_until_deploy),
		T(test_dropbox_create_concurrent_new_project),
		T(test_dropbox_read_current),
		T(test_dropbox_flush_failure_keeps_current),
		T(test_dropbox_read_after_redeploy),
		T(test_dropbox_open_notrunc_offset_write),
		T(test_dropbox_open_trunc_replaces),
		T(test_dropbox_stat_project),
		T(test_dropbox_lookup_errors),
		T(test_dropbox_stat_by_num),
		T(test_dropbox_create_bad_name),
		T(test_dropbox_open_missing),
		T(test_dropbox_create_excl_existing),
		T(test_dropbox_create_excl_first_deploy_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
