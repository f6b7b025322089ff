/*
 * test_tree — the mounted tree computed from a store: names, inode
 * numbers, attributes, links and paged listings.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "catalog.h"
#include "isotime.h"
#include "treeutil.h"
#include "uuid7.h"

#define Y2020 1577836800 /* 2020-01-01T00:00:00Z */

static void test_tree_lookup_top_names(void **state)
{
	static const char *const dirs[] = {"deploy", "deployments", "projects",
					   "status"};
	struct tu_fix *fix = *state;
	struct tu_listing l;
	struct stat s;
	uint64_t size;

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(dfs_tree_lookup(tu_tree(fix), DFS_INO_ROOT,
						 dirs[i], &s, NULL),
				 0);
		assert_true(S_ISDIR(s.st_mode));
	}
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), DFS_INO_ROOT, "deploy", &s, NULL),
		0);
	assert_int_equal(s.st_ino, DFS_INO_DEPLOY);
	assert_int_equal(dfs_tree_lookup(tu_tree(fix), DFS_INO_ROOT,
					 "audit.log", &s, NULL),
			 0);
	assert_true(S_ISREG(s.st_mode));
	assert_int_equal(dfs_tree_type(s.st_ino), DFS_NODE_AUDIT);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size), 0);
	assert_int_equal(s.st_size, size);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), DFS_INO_ROOT, "nope", &s, NULL),
		-ENOENT);
	tu_list(fix, DFS_INO_ROOT, SIZE_MAX, &l);
	assert_int_equal(l.n, 2 + 6); /* and newest/ */
	for (size_t i = 0; i < 4; i++)
		assert_true(tu_listed(&l, dirs[i]));
	assert_true(tu_listed(&l, "audit.log"));
}

static void test_tree_lookup_deployment(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t dir = tu_ino(fix, "deployments");
	struct tu_world w;
	struct stat s;
	uint8_t id[16];
	char idstr[37];

	tu_world_make(fix, &w);
	for (int i = 0; i < TU_NWORLD; i++) {
		assert_int_equal(
			dfs_tree_lookup(tu_tree(fix), dir, w.id[i], &s, NULL),
			0);
		assert_true(S_ISDIR(s.st_mode));
		assert_int_equal((int64_t)s.st_mtim.tv_sec * 1000 +
					 s.st_mtim.tv_nsec / 1000000,
				 w.rec[i].started_ms);
	}
	dfs_uuid7_next(w.rec[TU_E].id, (uint64_t)dfs_time_now_ms(), id);
	dfs_uuid7_format(id, idstr);
	assert_int_equal(dfs_tree_lookup(tu_tree(fix), dir, idstr, &s, NULL),
			 -ENOENT);
	assert_int_equal(dfs_tree_lookup(tu_tree(fix), dir, "web", &s, NULL),
			 -ENOENT);
}

static void test_tree_record_size(void **state)
{
	struct tu_fix *fix = *state;
	struct tu_world w;
	struct stat s;
	size_t len;
	char *buf;

	tu_world_make(fix, &w);
	for (int i = 0; i < TU_NWORLD; i++) {
		s.st_ino = tu_ino(fix, "deployments/%s/record.json", w.id[i]);
		assert_int_equal(dfs_tree_getattr(tu_tree(fix), s.st_ino, &s),
				 0);
		assert_true(S_ISREG(s.st_mode));
		assert_int_equal(
			dfs_tree_record(tu_tree(fix), s.st_ino, &buf, &len), 0);
		assert_int_equal(s.st_size, strlen(buf));
		assert_int_equal(len, strlen(buf));
		assert_non_null(strstr(buf, w.id[i]));
		assert_int_equal(buf[len - 1], '\n');
		free(buf);
	}
}

static void test_tree_readdir_deployments_order(void **state)
{
	struct tu_fix *fix = *state;
	struct tu_listing l;
	struct tu_world w;

	tu_world_make(fix, &w);
	tu_list(fix, tu_ino(fix, "deployments"), SIZE_MAX, &l);
	assert_int_equal(l.n, 2 + TU_NWORLD);
	assert_string_equal(l.names[0], ".");
	assert_string_equal(l.names[1], "..");
	for (int i = 0; i < TU_NWORLD; i++)
		assert_string_equal(l.names[2 + i], w.id[i]);
}

static void test_tree_readdir_paging(void **state)
{
	static const char *const dirs[] = {"",
					   "deploy",
					   "deployments",
					   "projects",
					   "projects/web",
					   "status",
					   "status/success",
					   "status/failed",
					   "status/pending",
					   "deployments/%s"};
	struct tu_fix *fix = *state;
	struct tu_listing *all = malloc(sizeof(*all)), *paged;
	struct dfs_record rec;
	struct tu_world w;
	uint64_t ino;

	paged = malloc(sizeof(*paged));
	assert_non_null(all);
	assert_non_null(paged);
	tu_world_make(fix, &w);
	for (uint32_t i = 0; i < 30; i++)
		tu_tree_deploy(fix, i % 3 ? "web" : "db", 10 + i, i % 4 != 0,
			       &rec);
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		ino = tu_ino(fix, dirs[d], w.id[TU_A]);
		tu_list(fix, ino, SIZE_MAX, all);
		assert_true(all->n > 2);
		for (size_t quota = 1; quota <= 3; quota++) {
			tu_list(fix, ino, quota, paged);
			assert_int_equal(paged->n, all->n);
			for (size_t i = 0; i < all->n; i++) {
				assert_string_equal(paged->names[i],
						    all->names[i]);
				assert_int_equal(paged->ino[i], all->ino[i]);
			}
		}
	}
	free(paged);
	free(all);
}

static void test_tree_readdir_ino_matches_lookup(void **state)
{
	struct tu_fix *fix = *state;
	struct tu_listing l;
	struct tu_world w;
	struct stat s;
	uint64_t dir;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "projects/web");
	tu_list(fix, dir, SIZE_MAX, &l);
	assert_true(tu_listed(&l, "latest"));
	assert_true(tu_listed(&l, "current"));
	for (size_t i = 2; i < l.n; i++) {
		assert_int_equal(dfs_tree_lookup(tu_tree(fix), dir, l.names[i],
						 &s, NULL),
				 0);
		assert_int_equal(s.st_ino, l.ino[i]);
	}
	dir = tu_ino(fix, "deployments");
	tu_list(fix, dir, SIZE_MAX, &l);
	for (size_t i = 2; i < l.n; i++) {
		assert_int_equal(dfs_tree_lookup(tu_tree(fix), dir, l.names[i],
						 &s, NULL),
				 0);
		assert_int_equal(s.st_ino, l.ino[i]);
	}
}

static void test_tree_readlink_current_latest(void **state)
{
	struct tu_fix *fix = *state;
	struct tu_world w;
	struct stat s;
	char buf[128];

	tu_world_make(fix, &w);
	tu_assert_link(fix, tu_ino(fix, "projects/web/current"), w.id[TU_B]);
	tu_assert_link(fix, tu_ino(fix, "projects/web/latest"), w.id[TU_D]);
	tu_assert_link(fix, tu_ino(fix, "projects/api/latest"), w.id[TU_E]);
	tu_assert_link(fix, tu_ino(fix, "projects/web/%s", w.id[TU_A]),
		       w.id[TU_A]);
	tu_assert_link(fix, tu_ino(fix, "status/success/%s", w.id[TU_A]),
		       w.id[TU_A]);
	/* api has no success: no current. */
	assert_int_equal(dfs_tree_lookup(tu_tree(fix),
					 tu_ino(fix, "projects/api"), "current",
					 &s, NULL),
			 -ENOENT);
	/* A directory is not a link. */
	assert_int_equal(dfs_tree_readlink(tu_tree(fix),
					   tu_ino(fix, "projects"), buf,
					   sizeof(buf)),
			 -EINVAL);
}

/* projects/<p>/v<N>: looked up by version, the <id> link's inode. */
static void test_tree_lookup_version_link(void **state)
{
	static const char *const bad[] = {
		"v0",  "v01", "v",   "v4",
		"v1x", "V1",  "v-1", "v99999999999999999999"};
	struct tu_fix *fix = *state;
	struct tu_listing l;
	struct tu_world w;
	struct stat s;
	uint64_t web = 0;

	tu_world_make(fix, &w);
	/* web: A v1, B v2, D v3; api: C v1, E v2. */
	tu_assert_link(fix, tu_ino(fix, "projects/web/v1"), w.id[TU_A]);
	tu_assert_link(fix, tu_ino(fix, "projects/web/v2"), w.id[TU_B]);
	tu_assert_link(fix, tu_ino(fix, "projects/web/v3"), w.id[TU_D]);
	tu_assert_link(fix, tu_ino(fix, "projects/api/v2"), w.id[TU_E]);
	assert_int_equal(tu_ino(fix, "projects/web/v2"),
			 tu_ino(fix, "projects/web/%s", w.id[TU_B]));
	tu_resolve(fix, "projects/web/v2", &s);
	assert_true(S_ISLNK(s.st_mode));
	web = tu_ino(fix, "projects/web");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dfs_tree_lookup(tu_tree(fix), web, bad[i], &s, NULL) !=
		    -ENOENT)
			fail_msg("projects/web/%s was found", bad[i]);
	/* v<N> is not listed: the listing stays one entry per deployment. */
	tu_list(fix, web, SIZE_MAX, &l);
	assert_false(tu_listed(&l, "v1"));
	assert_true(tu_listed(&l, w.id[TU_A]));
}

static void test_tree_readdir_status(void **state)
{
	static const char *const names[] = {"pending", "success", "failed"};
	struct tu_fix *fix = *state;
	struct tu_listing l;
	struct tu_world w;
	struct stat s;
	size_t want;

	tu_world_make(fix, &w);
	for (int st = 0; st < DFS_STATUS_COUNT; st++) {
		uint64_t dir = tu_ino(fix, "status/%s", names[st]);

		tu_list(fix, dir, SIZE_MAX, &l);
		want = 2;
		for (int i = 0; i < TU_NWORLD; i++) {
			bool in = (int)w.rec[i].status == st;

			want += in;
			assert_int_equal(tu_listed(&l, w.id[i]), in);
			assert_int_equal(dfs_tree_lookup(tu_tree(fix), dir,
							 w.id[i], &s, NULL),
					 in ? 0 : -ENOENT);
		}
		assert_int_equal(l.n, want);
	}
}

/* Paths of every kind of node in the world. */
static void world_paths(const struct tu_world *w, char paths[][128], int *n)
{
	static const char *const fixed[] = {"",
					    "deploy",
					    "deployments",
					    "projects",
					    "status",
					    "audit.log",
					    "deploy/web",
					    "projects/web",
					    "projects/web/latest",
					    "projects/web/current",
					    "status/success"};
	int k = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		snprintf(paths[k++], 128, "%s", fixed[i]);
	snprintf(paths[k++], 128, "deployments/%s", w->id[TU_A]);
	snprintf(paths[k++], 128, "deployments/%s/record.json", w->id[TU_A]);
	snprintf(paths[k++], 128, "deployments/%s/payload", w->id[TU_A]);
	snprintf(paths[k++], 128, "deployments/%s/record.json", w->id[TU_E]);
	snprintf(paths[k++], 128, "projects/web/%s", w->id[TU_A]);
	snprintf(paths[k++], 128, "status/success/%s", w->id[TU_A]);
	snprintf(paths[k++], 128, "status/pending/%s", w->id[TU_E]);
	*n = k;
}

static void test_tree_getattr_ino_stable(void **state)
{
	struct tu_fix *fix = *state;
	struct stat s1, s2, g;
	char paths[32][128];
	uint64_t inos[32];
	struct tu_world w;
	int n;

	tu_world_make(fix, &w);
	world_paths(&w, paths, &n);
	for (int i = 0; i < n; i++) {
		tu_resolve(fix, paths[i], &s1);
		tu_resolve(fix, paths[i], &s2);
		assert_int_equal(s1.st_ino, s2.st_ino);
		assert_int_equal(dfs_tree_getattr(tu_tree(fix), s1.st_ino, &g),
				 0);
		assert_int_equal(g.st_ino, s1.st_ino);
		assert_int_equal(g.st_mode, s1.st_mode);
		assert_int_equal(g.st_nlink, s1.st_nlink);
		assert_int_equal(g.st_uid, s1.st_uid);
		assert_int_equal(g.st_gid, s1.st_gid);
		assert_int_equal(g.st_size, s1.st_size);
		assert_int_equal(g.st_mtim.tv_sec, s1.st_mtim.tv_sec);
		assert_int_equal(g.st_mtim.tv_nsec, s1.st_mtim.tv_nsec);
		inos[i] = s1.st_ino;
		for (int j = 0; j < i; j++)
			if (inos[j] == inos[i])
				fail_msg("'%s' and '%s' share inode %llu",
					 paths[j], paths[i],
					 (unsigned long long)inos[i]);
	}
}

static void test_tree_getattr_times_real(void **state)
{
	struct tu_fix *fix = *state;
	char paths[32][128];
	struct tu_world w;
	struct stat s;
	int n;

	tu_world_make(fix, &w);
	world_paths(&w, paths, &n);
	for (int i = 0; i < n; i++) {
		tu_resolve(fix, paths[i], &s);
		if (s.st_mtime <= Y2020 || s.st_ctime <= Y2020 ||
		    s.st_atime <= Y2020)
			fail_msg("'%s': mtime %lld ctime %lld atime %lld",
				 paths[i], (long long)s.st_mtime,
				 (long long)s.st_ctime, (long long)s.st_atime);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_tree_setup, tu_tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tree_lookup_top_names),
		T(test_tree_lookup_deployment),
		T(test_tree_record_size),
		T(test_tree_readdir_deployments_order),
		T(test_tree_readdir_paging),
		T(test_tree_readdir_ino_matches_lookup),
		T(test_tree_readlink_current_latest),
		T(test_tree_lookup_version_link),
		T(test_tree_readdir_status),
		T(test_tree_getattr_ino_stable),
		T(test_tree_getattr_times_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
