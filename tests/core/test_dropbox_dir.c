/*
 * test_dropbox_dir — deploy/ is shared like /tmp: mode 1777 by default,
 * so anyone starts a project by deploying to a new name and owns it; the
 * mount's owner may chmod or chgrp deploy/ (stored) to restrict who may.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "dbutil.h"

static const struct dfs_caller user = {.uid = 2000, .gid = 2000, .pid = 1};
static const struct dfs_caller team = {
	.uid = 3000, .gid = 3000, .pid = 1, .ngroups = 1, .groups = {4000}};

/* cp of a small tar to deploy/@name as @c with @mode: flush's result. */
static int cp_as(struct tu_fix *fix, const char *name,
		 const struct dfs_caller *c, uint32_t mode, uint32_t seed)
{
	struct dfs_dbfile *f = NULL;
	uint8_t buf[2048];
	size_t off;
	int rc;

	tu_tar(buf, sizeof(buf), seed);
	rc = dfs_dropbox_create(tu_db(fix), name, WCREAT, mode, c, &f);
	if (rc)
		return rc;
	for (off = 0; off < sizeof(buf) && !rc; off += 1024)
		rc = dfs_dbfile_write(f, DFS_SRC_MEM(buf + off, 1024), off, c);
	if (!rc)
		rc = dfs_dbfile_flush(f);
	dfs_dbfile_close(f);
	return rc;
}

static int dir_set(struct tu_fix *fix, unsigned mask, uint32_t mode,
		   uint32_t gid, const struct dfs_caller *c)
{
	struct dfs_setattr sa = {.mask = mask, .mode = mode, .gid = gid};
	struct dfs_dbstat out;

	return dfs_dropbox_dir_setattr(tu_db(fix), &sa, c, &out);
}

static void test_dropbox_dir_default(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	dfs_dropbox_dir_stat(tu_db(fix), &sb);
	assert_int_equal(sb.mode, S_ISVTX | 0777);
	assert_int_equal(sb.uid, getuid());
	assert_int_equal(sb.gid, getgid());
	assert_true(sb.ctime.tv_sec > 0);
}

static void test_dropbox_dir_anyone_starts_a_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project p;

	assert_int_equal(cp_as(fix, "mine", &user, 0640, 1), 0);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "mine", &p),
		0);
	assert_int_equal(p.uid, user.uid);
	assert_int_equal(p.gid, user.gid);
	assert_int_equal(p.mode, 0640);
	/* Theirs now: another user may not deploy to it. */
	assert_int_equal(cp_as(fix, "mine", &team, 0644, 2), -EACCES);
	assert_int_equal(tu_count(fix, NULL), 1);
}

static void test_dropbox_dir_restricted(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f = NULL;
	struct dfs_project p;

	c.groups[c.ngroups++] = 4000;
	assert_int_equal(cp_as(fix, "mine", &user, 0644, 3), 0);
	/* 1775 with group 4000: only the team starts projects. */
	assert_int_equal(dir_set(fix, DFS_SET_MODE | DFS_SET_GID,
				 S_ISVTX | 0775, 4000, &c),
			 0);
	assert_int_equal(cp_as(fix, "other", &user, 0644, 4), -EACCES);
	assert_int_equal(dfs_catalog_project_get(dfs_store_catalog(fix->st),
						 "other", &p),
			 -ENOENT);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), ".tmpab12cd", SCREAT,
					    0600, &user, &f),
			 -EACCES);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), ".other.abc123", SCREAT,
					    0600, &user, &f),
			 -EACCES);
	assert_null(f);
	assert_int_equal(cp_as(fix, "teams", &team, 0644, 5), 0);
	/* An existing project still takes its writers' deploys. */
	assert_int_equal(cp_as(fix, "mine", &user, 0644, 6), 0);
	assert_int_equal(tu_count(fix, "success"), 3);
}

static void test_dropbox_dir_setattr_persists(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	c.groups[c.ngroups++] = 4000;
	assert_int_equal(dir_set(fix, DFS_SET_MODE | DFS_SET_GID,
				 S_ISVTX | 0755, 4000, &c),
			 0);
	dfs_dropbox_free(tu_db(fix));
	fix->extra = NULL;
	assert_int_equal(dfs_dropbox_new(fix->st, &fix->conf,
					 (struct dfs_dropbox **)&fix->extra),
			 0);
	dfs_dropbox_dir_stat(tu_db(fix), &sb);
	assert_int_equal(sb.mode, S_ISVTX | 0755);
	assert_int_equal(sb.gid, 4000);
	assert_int_equal(sb.uid, getuid());
}

static void test_dropbox_dir_setattr_refused(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	/* chmod and chgrp are the owner's; a size is no directory's. */
	assert_int_equal(dir_set(fix, DFS_SET_MODE, 0700, 0, &user), -EPERM);
	assert_int_equal(dir_set(fix, DFS_SET_GID, 0, user.gid, &user), -EPERM);
	assert_int_equal(dir_set(fix, DFS_SET_SIZE, 0, 0, &c), -EISDIR);
	dfs_dropbox_dir_stat(tu_db(fix), &sb);
	assert_int_equal(sb.mode, S_ISVTX | 0777);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_dir_default),
		T(test_dropbox_dir_anyone_starts_a_project),
		T(test_dropbox_dir_restricted),
		T(test_dropbox_dir_setattr_persists),
		T(test_dropbox_dir_setattr_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
