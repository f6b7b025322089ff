/*
 * test_version — per-project version numbers: given at creation, never
 * changed or reused (not after a project's removal either), found through
 * the by_version index; and the upgrade of a store made before them.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <lmdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmocka.h>

#include "project.h"
#include "catalog.h"
#include "isotime.h"
#include "store.h"
#include "testutil.h"

static void create(struct dfs_store *st, const char *project,
		   struct dfs_record *rec)
{
	struct dfs_project_attr attr;
	struct dfs_who who;

	tu_who(&who);
	who.uid = 0; /* root may remove projects */
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(st), project,
					    &who, &attr, rec),
			 0);
}

static void fail_it(struct dfs_store *st, struct dfs_record *rec)
{
	rec->status = DFS_STATUS_FAILED;
	rec->phase = DFS_PHASE_DONE;
	rec->completed_ms = dfs_time_now_ms();
	dfs_record_set_error(rec, DFS_ERR_ABORTED, DFS_PHASE_UPLOAD, "test");
	assert_int_equal(
		dfs_catalog_update(dfs_store_catalog(st), rec, NULL, NULL), 0);
}

static void assert_lookup(struct dfs_store *st, const char *project,
			  uint64_t version, const struct dfs_record *want)
{
	uint8_t id[16];
	uint64_t seq = 0;
	struct dfs_record got;

	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(st),
						  project, version, id, &seq),
			 0);
	assert_memory_equal(id, want->id, 16);
	assert_int_equal(seq, want->seq);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(st), id, &got), 0);
	assert_int_equal(got.version, version);
}

static void test_version_counts_per_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record w1, w2, a1, w3, a2;
	uint8_t id[16];

	create(fix->st, "web", &w1);
	create(fix->st, "web", &w2);
	create(fix->st, "api", &a1);
	create(fix->st, "web", &w3);
	create(fix->st, "api", &a2);
	assert_int_equal(w1.version, 1);
	assert_int_equal(w2.version, 2);
	assert_int_equal(w3.version, 3);
	assert_int_equal(a1.version, 1);
	assert_int_equal(a2.version, 2);
	assert_lookup(fix->st, "web", 1, &w1);
	assert_lookup(fix->st, "web", 3, &w3);
	assert_lookup(fix->st, "api", 2, &a2);
	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(fix->st),
						  "web", 4, id, NULL),
			 -ENOENT);
	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(fix->st),
						  "nope", 1, id, NULL),
			 -ENOENT);
	/* A project whose name prefixes another's is not confused with it. */
	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(fix->st),
						  "we", 1, id, NULL),
			 -ENOENT);
	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(fix->st),
						  "web", 0, id, NULL),
			 -EINVAL);
	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(fix->st),
						  "a/b", 1, id, NULL),
			 -EINVAL);
}

/* An update cannot change a version; settling keeps it. */
static void test_version_never_changes(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record r, back;

	create(fix->st, "web", &r);
	r.version = 99;
	fail_it(fix->st, &r);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), r.id, &back), 0);
	assert_int_equal(back.version, 1);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_lookup(fix->st, "web", 1, &back);
}

/* Removing a project keeps its counter: a new "web" goes on from 3. */
static void test_version_not_reused_after_project_remove(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record r1, r2, r3;
	uint64_t removed, freed;
	struct dfs_who who;
	uint8_t id[16];

	create(fix->st, "web", &r1);
	create(fix->st, "web", &r2);
	fail_it(fix->st, &r1);
	fail_it(fix->st, &r2);
	tu_who(&who);
	who.uid = 0;
	assert_int_equal(dfs_project_remove(fix->st, "web", false, &who,
					    &removed, &freed),
			 0);
	assert_int_equal(removed, 2);
	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(fix->st),
						  "web", 1, id, NULL),
			 -ENOENT);
	assert_int_equal(dfs_catalog_find_version(dfs_store_catalog(fix->st),
						  "web", 2, id, NULL),
			 -ENOENT);
	create(fix->st, "web", &r3);
	assert_int_equal(r3.version, 3);
	assert_lookup(fix->st, "web", 3, &r3);
	/* And across a reopen. */
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_lookup(fix->st, "web", 3, &r3);
}

/* ---- a store of format 2, as the previous build left it -------------- */

static MDB_env *raw_env(const char *dir)
{
	MDB_env *env;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	return env;
}

/*
 * Make the store at @dir look as format 2 made it: records without
 * "version" (nor "provenance"), no by_version, no counters. This follows
 * core/lmdb/lmdb_impl.h: database names and the meta keys.
 */
#define N_RAW 4096

static void make_format2(const char *dir)
{
	static uint8_t ids[N_RAW][16];
	static char *vals[N_RAW];
	size_t n = 0;
	uint32_t format = 2;
	MDB_val k = {6, "format"}, v = {sizeof(format), &format};
	MDB_dbi meta, records, byv;
	MDB_cursor *cur;
	MDB_env *env = raw_env(dir);
	MDB_txn *txn;
	int rc;

	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_dbi_open(txn, "by_version", 0, &byv), 0);
	assert_int_equal(mdb_drop(txn, byv, 1), 0);
	assert_int_equal(mdb_cursor_open(txn, meta, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		if (k.mv_size > 9 && memcmp(k.mv_data, "pversion/", 9) == 0)
			assert_int_equal(mdb_cursor_del(cur, 0), 0);
	mdb_cursor_close(cur);
	assert_int_equal(mdb_dbi_open(txn, "records", 0, &records), 0);
	/* Read all, then write: a put may move what a cursor points to. */
	assert_int_equal(mdb_cursor_open(txn, records, &cur), 0);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		json_t *o = json_loadb(v.mv_data, v.mv_size, 0, NULL);

		assert_non_null(o);
		assert_true(n < N_RAW);
		assert_int_equal(k.mv_size, 16);
		memcpy(ids[n], k.mv_data, 16);
		assert_int_equal(json_object_del(o, "version"), 0);
		assert_int_equal(json_object_del(o, "provenance"), 0);
		vals[n++] = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	mdb_cursor_close(cur);
	for (size_t i = 0; i < n; i++) {
		k = (MDB_val){16, ids[i]};
		v = (MDB_val){strlen(vals[i]), vals[i]};
		assert_int_equal(mdb_put(txn, records, &k, &v, 0), 0);
		free(vals[i]);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static uint32_t read_format(const char *dir)
{
	MDB_val k = {6, "format"}, v;
	MDB_env *env = raw_env(dir);
	uint32_t format = 0;
	MDB_txn *txn;
	MDB_dbi meta;

	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_get(txn, meta, &k, &v), 0);
	memcpy(&format, v.mv_data, sizeof(format));
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return format;
}

#define N_UPGRADE 2500 /* more than one batch of the upgrade */

static void test_version_upgrade_numbers_old_store(void **state)
{
	struct tu_fix *fix = *state;
	static struct dfs_record recs[N_UPGRADE];
	struct dfs_record r, last;
	struct dfs_batch *b;
	uint64_t want[3] = {0};
	int p;

	dfs_record_init(&r);
	tu_who(&r.who);
	r.status = DFS_STATUS_FAILED;
	dfs_record_set_error(&r, DFS_ERR_ABORTED, DFS_PHASE_UPLOAD, "test");
	assert_int_equal(
		dfs_catalog_batch_begin(dfs_store_catalog(fix->st), &b), 0);
	for (int i = 0; i < N_UPGRADE; i++) {
		snprintf(r.project, sizeof(r.project), "p%d", i % 7 % 3);
		assert_int_equal(dfs_batch_add(b, &r, DFS_TIME_NONE, &recs[i]),
				 0);
	}
	assert_int_equal(dfs_batch_commit(b), 0);
	dfs_store_close(fix->st);
	fix->st = NULL;
	make_format2(fix->dir);

	/* Not while a daemon of the old build holds the store. */
	{
		char path[PATH_MAX];
		int fd;

		tu_path(path, "%s/daemon.lock", fix->dir);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
		assert_int_equal(tu_reopen(fix, 0, 0), -EPROTO);
		assert_int_equal(read_format(fix->dir), 2);
		close(fd);
	}

	/* deployctl's open upgrades it when no daemon serves it. */
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	assert_int_equal(read_format(fix->dir), DFS_STORE_FORMAT);
	for (int i = 0; i < N_UPGRADE; i++) {
		p = i % 7 % 3;
		assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st),
						 recs[i].id, &r),
				 0);
		assert_int_equal(r.version, ++want[p]);
		assert_string_equal(r.who.prov.exe, "");
		if (i % 97 == 0)
			assert_lookup(fix->st, r.project, r.version, &recs[i]);
	}
	/* New deployments go on from there; reopening changes nothing. */
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	create(fix->st, "p1", &last);
	assert_int_equal(last.version, want[1] + 1);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), recs[0].id, &r), 0);
	assert_int_equal(r.version, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_version_counts_per_project),
		T(test_version_never_changes),
		T(test_version_not_reused_after_project_remove),
		T(test_version_upgrade_numbers_old_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
