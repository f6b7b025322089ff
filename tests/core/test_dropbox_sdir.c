/*
 * test_dropbox_sdir — staging directories of deploy/ (rsync's
 * --delay-updates ".~tmp~" and --partial-dir): only dot names, files in
 * them are staging files, moved by rename and committed by a rename onto
 * a project, listed in their directory only, and rmdir'ed when empty.
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

static const struct dfs_caller other = {.uid = 2000, .gid = 2000, .pid = 1};

static void stage(struct tu_fix *fix, const char *name, const void *buf,
		  size_t n)
{
	struct dfs_dbfile *f = tu_create(fix, name, SCREAT, 0600);

	tu_write_all(f, buf, n);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
}

struct seen {
	char names[512];
	unsigned dirs;
};

static int scan_cb(void *arg, const char *name, enum dfs_dbkind kind,
		   uint64_t num)
{
	struct seen *s = arg;

	(void)num;
	strcat(s->names, name);
	strcat(s->names, "|");
	s->dirs += kind == DFS_DB_DIR;
	return 0;
}

static void test_dropbox_mkdir_dot_names_only(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), "web", 0755, &c, &sb),
			 -EPERM);
	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), "-x", 0755, &c, &sb),
			 -EPERM);
	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), ".~tmp~", 0700, &c, &sb),
			 0);
	assert_int_equal(sb.kind, DFS_DB_DIR);
	assert_int_equal(sb.mode, 0700);
	assert_int_equal(sb.uid, c.uid);
	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), ".~tmp~", 0700, &c, &sb),
			 -EEXIST);
	tu_lookup(fix, ".~tmp~", &sb);
	assert_int_equal(sb.kind, DFS_DB_DIR);
	/* A staging file's name is taken too. */
	dfs_dbfile_close(tu_create(fix, ".web.abcdef", SCREAT, 0600));
	assert_int_equal(
		dfs_dropbox_mkdir(tu_db(fix), ".web.abcdef", 0700, &c, &sb),
		-EEXIST);
}

static void test_dropbox_mkdir_needs_write_on_deploy(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_MODE, .mode = 01755};
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	if (c.uid == other.uid)
		skip();
	assert_int_equal(dfs_dropbox_dir_setattr(tu_db(fix), &sa, &c, &sb), 0);
	assert_int_equal(
		dfs_dropbox_mkdir(tu_db(fix), ".~tmp~", 0700, &other, &sb),
		-EACCES);
}

static void test_dropbox_sdir_files_and_rmdir(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct seen top = {0}, in = {0};
	struct dfs_dbstat d, sb;
	uint8_t buf[2048];
	char path[DFS_DROPBOX_PATH_MAX + 1];

	tu_tar(buf, sizeof(buf), 31);
	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), ".part", 0700, &c, &d),
			 0);
	assert_int_equal(dfs_dropbox_dir_path(tu_db(fix), d.num, "web", path,
					      sizeof(path)),
			 0);
	assert_string_equal(path, ".part/web");
	stage(fix, ".part/web", buf, sizeof(buf));
	tu_lookup(fix, ".part/web", &sb);
	assert_int_equal(sb.size, sizeof(buf));
	assert_int_equal(tu_count(fix, NULL), 0); /* no project named yet */
	/* Listed in its directory, not in deploy/. */
	assert_int_equal(dfs_dropbox_scan(tu_db(fix), 0, 0, scan_cb, &top), 0);
	assert_string_equal(top.names, ".part|");
	assert_int_equal(top.dirs, 1);
	assert_int_equal(dfs_dropbox_scan(tu_db(fix), d.num, 0, scan_cb, &in),
			 0);
	assert_string_equal(in.names, "web|");
	assert_int_equal(in.dirs, 0);
	assert_int_equal(dfs_dropbox_rmdir(tu_db(fix), ".part", &c),
			 -ENOTEMPTY);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), ".part", &c), -EISDIR);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), ".part/web", &c), 0);
	assert_int_equal(tu_count(fix, NULL), 0);
	assert_int_equal(dfs_dropbox_rmdir(tu_db(fix), ".part", &c), 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".part", &sb), -ENOENT);
	assert_int_equal(dfs_dropbox_rmdir(tu_db(fix), ".part", &c), -ENOENT);
	assert_int_equal(dfs_dropbox_scan(tu_db(fix), d.num, 0, scan_cb, &in),
			 -ENOENT);
}

static void test_dropbox_sdir_rename_commits(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;
	struct dfs_record rec;
	uint8_t buf[4096], got[8192];

	/* rsync --delay-updates: temp file, into .~tmp~, then into place. */
	tu_tar(buf, sizeof(buf), 32);
	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), ".~tmp~", 0700, &c, &sb),
			 0);
	stage(fix, ".web.Ab12Cd", buf, sizeof(buf));
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.Ab12Cd", ".~tmp~/web", &c),
		0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), ".web.Ab12Cd", &sb),
			 -ENOENT);
	tu_lookup(fix, ".~tmp~/web", &sb);
	assert_int_equal(tu_count(fix, "success"), 0);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".~tmp~/web", "web", &c), 0);
	assert_int_equal(tu_count(fix, NULL), 1);
	tu_current(fix, "web", &rec);
	assert_int_equal(rec.payload_size, sizeof(buf));
	assert_int_equal(tu_cat(fix, "web", got, sizeof(got)), sizeof(buf));
	assert_memory_equal(got, buf, sizeof(buf));
	assert_int_equal(dfs_dropbox_rmdir(tu_db(fix), ".~tmp~", &c), 0);
}

static void test_dropbox_sdir_rename_failure_stays(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;
	uint8_t buf[1024];

	memset(buf, 'x', sizeof(buf)); /* not an archive */
	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), ".~tmp~", 0700, &c, &sb),
			 0);
	stage(fix, ".~tmp~/web", buf, sizeof(buf));
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".~tmp~/web", "web", &c),
		-EBADMSG);
	tu_lookup(fix, ".~tmp~/web", &sb); /* stays, as in deploy/ */
	assert_int_equal(tu_count(fix, "failed"), 1);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".~tmp~/web", "-bad", &c),
		-EINVAL);
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), ".~tmp~", ".x", &c),
			 -EPERM);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".~tmp~/web", ".~tmp~", &c),
		-EISDIR);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".~tmp~/web", ".gone/web", &c),
		-ENOENT);
}

static void test_dropbox_sdir_mode_guards_files(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	struct dfs_dbstat sb;

	if (c.uid == other.uid || other.uid == 0)
		skip();
	assert_int_equal(dfs_dropbox_mkdir(tu_db(fix), ".~tmp~", 0700, &c, &sb),
			 0);
	assert_int_equal(dfs_dropbox_create(tu_db(fix), ".~tmp~/web", SCREAT,
					    0600, &other, &f),
			 -EACCES);
	dfs_dbfile_close(tu_create(fix, ".~tmp~/web", SCREAT, 0600));
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), ".~tmp~/web", &other),
			 -EACCES);
	assert_int_equal(dfs_dropbox_rmdir(tu_db(fix), ".~tmp~", &other),
			 -EPERM); /* deploy/'s sticky bit */
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_mkdir_dot_names_only),
		T(test_dropbox_mkdir_needs_write_on_deploy),
		T(test_dropbox_sdir_files_and_rmdir),
		T(test_dropbox_sdir_rename_commits),
		T(test_dropbox_sdir_rename_failure_stays),
		T(test_dropbox_sdir_mode_guards_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
