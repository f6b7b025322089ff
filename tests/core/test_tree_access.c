/*
 * test_tree_access — the tree as other users see it: deploy/ shows its
 * own stored owner and mode, hidden projects leave deploy/ but not
 * projects/, and the daemon refuses to open a payload, log or manifest to
 * whoever may not read it (so allow_other without default_permissions
 * leaks nothing).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "reader.h"
#include "treeutil.h"

static const struct dfs_caller owner = {.uid = 1000, .gid = 1000, .pid = 1};
static const struct dfs_caller member = {
	.uid = 3000, .gid = 3000, .pid = 1, .ngroups = 1, .groups = {1001}};
static const struct dfs_caller other = {.uid = 2000, .gid = 2000, .pid = 1};

static void test_tree_access_deploy_dir(void **state)
{
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = 1};
	struct dfs_setattr sa = {.mask = DFS_SET_MODE, .mode = 01755};
	struct tu_fix *fix = *state;
	struct dfs_dbstat ds;
	struct stat s;

	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), DFS_INO_ROOT, "deploy", &s, NULL),
		0);
	assert_int_equal(s.st_mode, S_IFDIR | 01777);
	assert_int_equal(s.st_uid, getuid());
	assert_int_equal(
		dfs_dropbox_dir_setattr(tu_tree_db(fix), &sa, &root, &ds), 0);
	assert_int_equal(dfs_tree_getattr(tu_tree(fix), DFS_INO_DEPLOY, &s), 0);
	assert_int_equal(s.st_mode, S_IFDIR | 01755);
}

static void test_tree_access_hidden_not_listed(void **state)
{
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = 1};
	struct tu_fix *fix = *state;
	struct tu_listing l;
	struct tu_world w;
	struct stat s;

	tu_world_make(fix, &w);
	assert_int_equal(
		dfs_tree_unlink(tu_tree(fix), DFS_INO_DEPLOY, "web", &root), 0);
	tu_list(fix, DFS_INO_DEPLOY, 1, &l);
	assert_false(tu_listed(&l, "web"));
	assert_true(tu_listed(&l, "api"));
	tu_list(fix, tu_ino(fix, "projects"), SIZE_MAX, &l);
	assert_true(tu_listed(&l, "web"));
	tu_assert_link(fix, tu_ino(fix, "projects/web/current"), w.id[TU_B]);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), DFS_INO_DEPLOY, "web", &s, NULL),
		-ENOENT);
}

/* Can @c open deployment @id's payload, and its log? 0 or -errno. */
static int open_all(struct tu_fix *fix, const char *id,
		    const struct dfs_caller *c)
{
	struct dfs_reader *r = NULL;
	int fd = -1, rc;

	rc = dfs_tree_open_payload(
		tu_tree(fix), tu_ino(fix, "deployments/%s/payload", id), c, &r);
	dfs_reader_close(r);
	if (rc)
		return rc;
	rc = dfs_tree_open_side(tu_tree(fix),
				tu_ino(fix, "deployments/%s/log", id), c, &fd);
	if (fd >= 0)
		close(fd);
	if (rc)
		return rc;
	fd = -1;
	rc = dfs_tree_open_side(tu_tree(fix),
				tu_ino(fix, "deployments/%s/manifest", id), c,
				&fd);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void test_tree_access_read_bits(void **state)
{
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = 1};
	struct dfs_project_attr attr = {1000, 1001, 0640};
	struct tu_fix *fix = *state;
	struct tu_world w;
	struct stat s;

	tu_world_make(fix, &w);
	assert_int_equal(dfs_catalog_project_set_attr(
				 dfs_store_catalog(fix->st), "web", &attr),
			 0);
	assert_int_equal(open_all(fix, w.id[TU_B], &owner), 0);
	assert_int_equal(open_all(fix, w.id[TU_B], &member), 0);
	assert_int_equal(open_all(fix, w.id[TU_B], &root), 0);
	assert_int_equal(open_all(fix, w.id[TU_B], &other), -EACCES);
	/* What stat shows is what is enforced. */
	assert_int_equal(dfs_tree_getattr(tu_tree(fix),
					  tu_ino(fix, "deployments/%s/payload",
						 w.id[TU_B]),
					  &s),
			 0);
	assert_int_equal(s.st_mode & 0777, 0440);
	attr.mode = 0600;
	assert_int_equal(dfs_catalog_project_set_attr(
				 dfs_store_catalog(fix->st), "web", &attr),
			 0);
	assert_int_equal(open_all(fix, w.id[TU_B], &member), -EACCES);
	assert_int_equal(open_all(fix, w.id[TU_B], &owner), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_tree_setup, tu_tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tree_access_deploy_dir),
		T(test_tree_access_hidden_not_listed),
		T(test_tree_access_read_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
