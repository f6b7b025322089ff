/*
 * test_tree_query — newest/: query directories listing deployments newest
 * first (paged, seekable by time, sized by their count), and the pinned
 * flag set through the tree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "catalog.h"
#include "treeutil.h"
#include "uuid7.h"

static const struct dfs_caller root = {.uid = 0, .gid = 0, .pid = 1};
static const struct dfs_caller other = {.uid = 2000, .gid = 2000, .pid = 1};

/* The listing's ids, skipping "." and "..". */
static size_t ids(const struct tu_listing *l, const char *out[TU_LIST_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->names[i][0] != '.')
			out[n++] = l->names[i];
	return n;
}

static void test_tree_query_newest_first(void **state)
{
	struct tu_fix *fix = *state;
	const char *got[TU_LIST_MAX];
	struct tu_world w;
	struct tu_listing l;
	struct stat s;

	tu_world_make(fix, &w);
	/* web: A, B, D; every project: A to E. Newest first, in pages of 1. */
	tu_list(fix, tu_ino(fix, "newest/web"), 1, &l);
	assert_int_equal(ids(&l, got), 3);
	assert_string_equal(got[0], w.id[TU_D]);
	assert_string_equal(got[1], w.id[TU_B]);
	assert_string_equal(got[2], w.id[TU_A]);
	tu_list(fix, tu_ino(fix, "newest/:all"), 2, &l);
	assert_int_equal(ids(&l, got), 5);
	assert_string_equal(got[0], w.id[TU_E]);
	assert_string_equal(got[4], w.id[TU_A]);
	tu_list(fix, tu_ino(fix, "newest/web:failed"), SIZE_MAX, &l);
	assert_int_equal(ids(&l, got), 1);
	assert_string_equal(got[0], w.id[TU_D]);
	tu_list(fix, tu_ino(fix, "newest/:success"), SIZE_MAX, &l);
	assert_int_equal(ids(&l, got), 2);
	/* An entry is the same link as projects/<p>/<id>. */
	assert_int_equal(tu_ino(fix, "newest/web/%s", w.id[TU_A]),
			 tu_ino(fix, "projects/web/%s", w.id[TU_A]));
	tu_resolve(fix, "newest/web", &s);
	assert_int_equal(s.st_size, 3);
	tu_resolve(fix, "newest/:pending", &s);
	assert_int_equal(s.st_size, 1);
}

static void test_tree_query_lookup_names(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t newest = tu_ino(fix, "newest");
	struct tu_world w;
	struct tu_listing l;
	struct stat s;

	tu_world_make(fix, &w);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), newest, "nope", &s, NULL),
		-ENOENT);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), newest, "web:all", &s, NULL),
		-ENOENT);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), newest, ":bogus", &s, NULL),
		-ENOENT);
	assert_int_equal(dfs_tree_lookup(tu_tree(fix), newest, "", &s, NULL),
			 -ENOENT);
	/* Another project's id is not in web's listing. */
	assert_int_equal(dfs_tree_lookup(tu_tree(fix),
					 tu_ino(fix, "newest/web"), w.id[TU_C],
					 &s, NULL),
			 -ENOENT);
	/* newest/ itself lists nothing but . and .. */
	tu_list(fix, newest, SIZE_MAX, &l);
	assert_int_equal(l.n, 2);
	tu_list(fix, DFS_INO_ROOT, SIZE_MAX, &l);
	assert_true(tu_listed(&l, "newest"));
}

/* An offset of DFS_TREE_OFF_TIME + T starts at the newest at or before T. */
static int first_name(void *arg, const char *name, const struct stat *st,
		      uint64_t next)
{
	(void)st;
	(void)next;
	strcpy(arg, name);
	return 1;
}

static void test_tree_query_seek_time(void **state)
{
	struct tu_fix *fix = *state;
	struct tu_world w;
	char name[64] = "";
	uint64_t ino;

	tu_world_make(fix, &w);
	ino = tu_ino(fix, "newest/:all");
	assert_int_equal(dfs_tree_readdir(tu_tree(fix), ino,
					  DFS_TREE_OFF_TIME +
						  dfs_uuid7_ms(w.rec[TU_C].id),
					  first_name, name),
			 0);
	/* C, or one started in the same ms after it: never one before. */
	assert_true(strcmp(name, w.id[TU_C]) >= 0);
	name[0] = '\0';
	assert_int_equal(dfs_tree_readdir(tu_tree(fix), ino,
					  DFS_TREE_OFF_TIME +
						  dfs_uuid7_ms(w.rec[TU_A].id) -
						  1,
					  first_name, name),
			 0);
	assert_string_equal(name, "");
}

static void test_tree_set_pinned_checks_write(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record r;
	struct tu_world w;
	uint64_t dir;
	bool on;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "deployments/%s", w.id[TU_A]);
	assert_int_equal(dfs_tree_set_pinned(tu_tree(fix), dir, true, &other),
			 -EACCES);
	assert_int_equal(dfs_tree_set_pinned(tu_tree(fix), dir, true, &root),
			 0);
	assert_int_equal(dfs_tree_pinned(tu_tree(fix), dir, &on), 0);
	assert_true(on);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), w.rec[TU_A].id, &r),
		0);
	assert_true(r.pinned);
	assert_int_equal(dfs_tree_set_pinned(tu_tree(fix), dir, false, &root),
			 0);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), w.rec[TU_A].id, &r),
		0);
	assert_false(r.pinned);
	/* Only a deployment's directory has the flag. */
	assert_int_equal(dfs_tree_set_pinned(tu_tree(fix),
					     tu_ino(fix,
						    "deployments/%s/"
						    "record.json",
						    w.id[TU_A]),
					     true, &root),
			 -ENOTSUP);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_tree_setup, tu_tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tree_query_newest_first),
		T(test_tree_query_lookup_names),
		T(test_tree_query_seek_time),
		T(test_tree_set_pinned_checks_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
