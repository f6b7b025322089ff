/*
 * test_store — opening, locking, format checks, a full map and recovery
 * after a crash.
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
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "catalog.h"
#include "deploy.h"
#include "isotime.h"
#include "store.h"
#include "testutil.h"

/* Small enough to fill in a second, large enough for an empty store. */
#define SMALL_MAP (256u << 10)

#define SENTINEL ((struct dfs_store *)0x1)

static void create_pending(struct dfs_store *st, const char *project,
			   struct dfs_record *rec)
{
	struct dfs_project_attr attr;
	struct dfs_who who;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(st), project,
					    &who, &attr, rec),
			 0);
}

static void test_store_open_create(void **state)
{
	struct tu_fix *fix = *state;
	char path[PATH_MAX];
	struct stat sb;

	assert_int_equal(
		dfs_store_open(fix->dir, DFS_STORE_CREATE, 0, &fix->st), 0);
	assert_non_null(fix->st);
	assert_string_equal(dfs_store_dir(fix->st), fix->dir);
	tu_path(path, "%s/data.mdb", fix->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
}

static void test_store_open_exclusive_makes_tmp(void **state)
{
	struct tu_fix *fix = *state;
	char path[PATH_MAX];
	struct stat sb;

	tu_path(path, "%s/tmp", fix->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
}

static void test_store_open_missing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;

	assert_int_equal(dfs_store_open(fix->dir, 0, 0, &st), -ENOENT);
	assert_ptr_equal(st, SENTINEL);
	assert_int_equal(dfs_store_open(fix->dir, DFS_STORE_EXCLUSIVE, 0, &st),
			 -ENOENT);
	assert_ptr_equal(st, SENTINEL);
	assert_int_equal(access(fix->dir, F_OK), -1);
}

static void test_store_open_existing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;

	create_pending(fix->st, "web", &rec);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_string_equal(back.project, "web");
}

static void test_store_open_not_a_dir(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;

	assert_int_equal(tu_write_file(fix->dir, "x", 1), 0);
	assert_true(dfs_store_open(fix->dir, DFS_STORE_CREATE, 0, &st) < 0);
	assert_ptr_equal(st, SENTINEL);
}

static void test_store_open_garbage_db(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;
	char path[PATH_MAX], junk[65536];

	assert_int_equal(mkdir(fix->dir, 0700), 0);
	tu_path(path, "%s/data.mdb", fix->dir);
	tu_fill(junk, sizeof(junk), 1);
	assert_int_equal(tu_write_file(path, junk, sizeof(junk)), 0);
	assert_true(dfs_store_open(fix->dir, DFS_STORE_CREATE, 0, &st) < 0);
	assert_ptr_equal(st, SENTINEL);
}

/* A directory that is no store: refused without CREATE, left untouched. */
static void test_store_open_not_a_store(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;
	char path[PATH_MAX];

	assert_int_equal(mkdir(fix->dir, 0700), 0);
	tu_path(path, "%s/notes.txt", fix->dir);
	assert_int_equal(tu_write_file(path, "x", 1), 0);
	assert_int_equal(dfs_store_open(fix->dir, 0, 0, &st), -ENOENT);
	assert_int_equal(dfs_store_open(fix->dir, DFS_STORE_EXCLUSIVE, 0, &st),
			 -ENOENT);
	assert_ptr_equal(st, SENTINEL);
	assert_int_equal(tu_count_entries(fix->dir), 1); /* notes.txt only */
}

/* Damaged data.mdb without CREATE: -EBADMSG, never -EPROTO. */
static void test_store_open_damaged(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;
	char path[PATH_MAX], junk[65536];

	assert_int_equal(mkdir(fix->dir, 0700), 0);
	tu_path(path, "%s/data.mdb", fix->dir);
	assert_int_equal(tu_write_file(path, "", 0), 0);
	assert_int_equal(dfs_store_open(fix->dir, 0, 0, &st), -EBADMSG);
	tu_fill(junk, sizeof(junk), 2);
	assert_int_equal(tu_write_file(path, junk, sizeof(junk)), 0);
	assert_int_equal(dfs_store_open(fix->dir, 0, 0, &st), -EBADMSG);
	assert_ptr_equal(st, SENTINEL);
	tu_path(path, "%s/blobs", fix->dir);
	assert_int_equal(access(path, F_OK), -1);
	tu_path(path, "%s/tmp", fix->dir);
	assert_int_equal(access(path, F_OK), -1);
}

/* An LMDB environment of another program is not a store either. */
static void test_store_open_foreign_lmdb(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;
	MDB_val k = {.mv_size = 3, .mv_data = "key"};
	MDB_val v = {.mv_size = 5, .mv_data = "value"};
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_int_equal(mkdir(fix->dir, 0700), 0);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, fix->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(dfs_store_open(fix->dir, 0, 0, &st), -EBADMSG);
	assert_ptr_equal(st, SENTINEL);
}

/*
 * Overwrite the format version kept in the store's LMDB. The header names
 * no key for it; this follows core/lmdb/open.c ("format" in database "meta").
 */
static void set_format(const char *dir, uint32_t format)
{
	MDB_val k = {.mv_size = 6, .mv_data = "format"};
	MDB_val v = {.mv_size = sizeof(format), .mv_data = &format};
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void test_store_open_format_mismatch(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;
	struct dfs_record rec, back;

	create_pending(fix->st, "web", &rec);
	dfs_store_close(fix->st);
	fix->st = NULL;
	set_format(fix->dir, DFS_STORE_FORMAT + 1);
	assert_int_equal(dfs_store_open(fix->dir, DFS_STORE_EXCLUSIVE, 0, &st),
			 -EPROTO);
	assert_ptr_equal(st, SENTINEL);
	assert_int_equal(dfs_store_open(fix->dir, 0, 0, &st), -EPROTO);
	assert_ptr_equal(st, SENTINEL);

	/* Refused, not damaged: with the right version it opens as before. */
	set_format(fix->dir, DFS_STORE_FORMAT);
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_PENDING);
}

static void test_store_open_exclusive_busy(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_store *st = SENTINEL;

	assert_int_equal(dfs_store_open(fix->dir, DFS_STORE_EXCLUSIVE, 0, &st),
			 -EBUSY);
	assert_ptr_equal(st, SENTINEL);
}

static void test_store_open_exclusive_after_close(void **state)
{
	struct tu_fix *fix = *state;

	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
}

static void test_store_open_shared_beside_exclusive(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	struct dfs_store *st = NULL;

	/* deployctl reads while the daemon holds the store. */
	create_pending(fix->st, "web", &rec);
	assert_int_equal(dfs_store_open(fix->dir, 0, 0, &st), 0);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(st), rec.id, &back),
			 0);
	assert_memory_equal(back.id, rec.id, 16);
	dfs_store_close(st);
}

static void test_store_host_set(void **state)
{
	struct tu_fix *fix = *state;
	const char *host = dfs_catalog_node(dfs_store_catalog(fix->st));

	assert_non_null(host);
	assert_true(strlen(host) > 0);
	assert_true(strlen(host) < DFS_HOST_MAX);
}

static void test_store_statfs_space(void **state)
{
	struct tu_fix *fix = *state;
	struct statvfs sv;

	memset(&sv, 0, sizeof(sv));
	assert_int_equal(dfs_store_statfs(fix->st, &sv), 0);
	assert_true(sv.f_blocks > 0);
	assert_true(sv.f_bsize > 0);
}

static void test_store_recover_nothing(void **state)
{
	struct tu_fix *fix = *state;
	unsigned n = 99;

	assert_int_equal(tu_recover(fix->st, &n), 0);
	assert_int_equal(n, 0);
}

/* A store over a catalog the caller opened uses that one, and owns it. */
static void test_store_open_catalog(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_catalog *cat;
	struct dfs_store *st, *other;
	struct dfs_record rec, back;
	char catdir[PATH_MAX];

	tu_path(catdir, "%s/elsewhere", fix->base);
	assert_int_equal(mkdir(catdir, 0700), 0);
	assert_int_equal(dfs_catalog_open_lmdb(catdir, DFS_CATALOG_CREATE, 0,
					       "n1", &cat),
			 0);
	assert_int_equal(dfs_store_open_catalog(fix->dir, 0, cat, &st), 0);
	assert_ptr_equal(dfs_store_catalog(st), cat);
	create_pending(st, "web", &rec);
	assert_string_equal(rec.origin_node, "n1");
	/* Not in the store directory's own catalog: in the one given. */
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back),
		-ENOENT);
	/* Refused (fix->st holds the lock): the catalog given is closed. */
	assert_int_equal(dfs_catalog_open_lmdb(catdir, 0, 0, "n2", &cat), 0);
	assert_int_equal(dfs_store_open_catalog(fix->dir, DFS_STORE_EXCLUSIVE,
						cat, &other),
			 -EBUSY);
	dfs_store_close(st);
}

static void test_store_clear_tmp_not_exclusive(void **state)
{
	struct tu_fix *fix = *state;
	char path[PATH_MAX];

	tu_path(path, "%s/tmp/orphan.upload", fix->dir);
	assert_int_equal(tu_write_file(path, "half", 4), 0);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	assert_int_equal(dfs_store_clear_tmp(fix->st), -EPERM);
	assert_int_equal(tu_count_tmp(fix->dir), 1);
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(dfs_store_clear_tmp(fix->st), 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_store_recover_pending(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	char path[PATH_MAX];
	unsigned n = 0;

	create_pending(fix->st, "web", &rec);
	tu_path(path, "%s/tmp/orphan.upload", fix->dir);
	assert_int_equal(tu_write_file(path, "\x1f\x8b half a payload", 18), 0);
	/* The daemon dies: no commit, the store is simply closed. */
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(tu_recover(fix->st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "interrupted");
	assert_true(back.completed_ms != DFS_TIME_NONE);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "pending"),
			 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "failed"),
			 1);
}

static void test_store_recover_keeps_committed(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record ok, bad, pend, back;
	unsigned n = 0;

	create_pending(fix->st, "web", &ok);
	create_pending(fix->st, "web", &bad);
	create_pending(fix->st, "api", &pend);
	ok.status = DFS_STATUS_SUCCESS;
	ok.phase = DFS_PHASE_DONE;
	ok.completed_ms = dfs_time_now_ms();
	assert_int_equal(
		dfs_catalog_update(dfs_store_catalog(fix->st), &ok, NULL, NULL),
		0);
	bad.status = DFS_STATUS_FAILED;
	bad.phase = DFS_PHASE_DONE;
	bad.completed_ms = dfs_time_now_ms();
	dfs_record_set_error(&bad, DFS_ERR_NOT_AN_ARCHIVE, DFS_PHASE_VALIDATE,
			     "x");
	assert_int_equal(dfs_catalog_update(dfs_store_catalog(fix->st), &bad,
					    NULL, NULL),
			 0);

	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(tu_recover(fix->st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), ok.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_int_equal(back.completed_ms, ok.completed_ms);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), bad.id, &back), 0);
	assert_string_equal(back.error.code, "not_an_archive");
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), pend.id, &back), 0);
	assert_string_equal(back.error.code, "interrupted");
	/* A second recovery finds nothing left to do. */
	assert_int_equal(tu_recover(fix->st, &n), 0);
	assert_int_equal(n, 0);
}

/* In a child: start a deploy, write half of it, and die. */
static void crash_mid_deploy(const char *dir)
{
	struct dfs_project_attr attr;
	struct dfs_store *st;
	struct dfs_deploy *d;
	struct dfs_who who;
	uint8_t buf[100000];

	tu_who(&who);
	tu_attr(&attr, 0644);
	tu_fill(buf, sizeof(buf), 2);
	if (dfs_store_open(dir, DFS_STORE_EXCLUSIVE, 0, &st))
		_exit(2);
	if (dfs_deploy_begin(st, NULL, "web", &who, &attr, &d))
		_exit(3);
	if (dfs_deploy_write(d, DFS_SRC_MEM(buf, sizeof(buf)), 0))
		_exit(4);
	_exit(0); /* no commit, no free, no close: a crash */
}

static void test_store_recover_crashed_writer(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record back;
	uint8_t id[16];
	unsigned n = 0;
	int status;
	pid_t pid;

	dfs_store_close(fix->st);
	fix->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_mid_deploy(fix->dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(tu_count_tmp(fix->dir) >= 1);

	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(
		dfs_catalog_latest(dfs_store_catalog(fix->st), "web", id), 0);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, &back),
			 0);
	assert_int_equal(back.status, DFS_STATUS_PENDING);
	assert_int_equal(tu_recover(fix->st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, &back),
			 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "interrupted");
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_store_open_map_full(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record first, rec, last;
	struct dfs_project_attr attr;
	struct dfs_who who;
	long made = 0;
	int rc = 0;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_store_open(fix->dir,
					DFS_STORE_CREATE | DFS_STORE_EXCLUSIVE,
					SMALL_MAP, &fix->st),
			 0);
	while (made < 100000) {
		rc = dfs_catalog_create(dfs_store_catalog(fix->st), "web", &who,
					&attr, &rec);
		if (rc)
			break;
		if (made == 0)
			first = rec;
		last = rec;
		made++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(made > 0);
	/* Still consistent and readable right away... */
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 made);

	/* ...and after reopening with the same small map. */
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, SMALL_MAP), 0);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), first.id, &rec), 0);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), last.id, &rec), 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 made);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_PROJECT, "web"),
			 made);

	/* A bigger map makes room: later deploys work. */
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(fix->st), "web",
					    &who, &attr, &rec),
			 0);
	assert_true(memcmp(rec.id, last.id, 16) > 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 made + 1);
}

#define T(f)  cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)
#define TD(f) cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TD(test_store_open_create),
		T(test_store_open_exclusive_makes_tmp),
		TD(test_store_open_missing),
		T(test_store_open_existing),
		TD(test_store_open_not_a_dir),
		TD(test_store_open_garbage_db),
		TD(test_store_open_not_a_store),
		TD(test_store_open_damaged),
		TD(test_store_open_foreign_lmdb),
		T(test_store_open_format_mismatch),
		T(test_store_open_exclusive_busy),
		T(test_store_open_exclusive_after_close),
		T(test_store_open_shared_beside_exclusive),
		T(test_store_host_set),
		T(test_store_statfs_space),
		T(test_store_recover_nothing),
		T(test_store_open_catalog),
		T(test_store_clear_tmp_not_exclusive),
		T(test_store_recover_pending),
		T(test_store_recover_keeps_committed),
		T(test_store_recover_crashed_writer),
		TD(test_store_open_map_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
