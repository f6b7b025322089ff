/*
 * test_dropbox_backup — cp -b, install -b and rsync -b rename a drop box
 * to "<project>~" (or "<project>.~N~") before writing the new one: that
 * rename hides the drop box as unlink does, and the backup name shows
 * the payload the drop box showed before, from the history.
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
#include "catalog.h"
#include "dbutil.h"

static const struct dfs_caller other = {.uid = 2000, .gid = 2000, .pid = 1};

/* Two successes of "web": @a then @b (b current). */
static void two_deploys(struct tu_fix *fix, uint8_t *a, uint8_t *b, size_t n)
{
	tu_tar(a, n, 41);
	tu_tar(b, n, 42);
	assert_int_equal(tu_cp(fix, "web", a, n), 0);
	assert_int_equal(tu_cp(fix, "web", b, n), 0);
}

static void assert_shows(struct tu_fix *fix, const char *name,
			 const char *project, uint64_t version)
{
	struct dfs_record r;
	uint8_t id[16];

	assert_int_equal(dfs_dropbox_backup(tu_db(fix), name, id), 0);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, &r),
			 0);
	assert_string_equal(r.project, project);
	assert_int_equal(r.version, version);
}

static void test_dropbox_backup_shows_previous(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t a[2048], b[2048], bad[2048];
	uint8_t id[16];

	assert_int_equal(dfs_dropbox_backup(tu_db(fix), "web~", id), -ENOENT);
	two_deploys(fix, a, b, sizeof(a));
	assert_shows(fix, "web~", "web", 1);
	/* A failure in between is skipped: the newest success before. */
	memset(bad, 'x', sizeof(bad));
	assert_int_equal(tu_cp(fix, "web", bad, sizeof(bad)), -EBADMSG);
	assert_int_equal(tu_cp(fix, "web", a, sizeof(a)), 0);
	assert_shows(fix, "web~", "web", 2);
	assert_int_equal(dfs_dropbox_backup(tu_db(fix), "web.~1~", id),
			 -ENOENT);
	assert_int_equal(dfs_dropbox_backup(tu_db(fix), "api~", id), -ENOENT);
	assert_int_equal(dfs_dropbox_backup(tu_db(fix), "web", id), -ENOENT);
}

static void test_dropbox_backup_rename_hides(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	uint8_t a[2048], b[2048], c2[2048];
	struct dfs_dbstat sb;
	long n;

	two_deploys(fix, a, b, sizeof(a));
	n = tu_count(fix, NULL);
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web~", &c), 0);
	assert_int_equal(tu_count(fix, NULL), n); /* no history changed */
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), -ENOENT);
	/* Right after the rename: what web showed, the current one. */
	assert_shows(fix, "web~", "web", 2);
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web~", &c),
			 -ENOENT);
	/* The tool's create of the name then deploys. */
	tu_tar(c2, sizeof(c2), 43);
	assert_int_equal(tu_cp(fix, "web", c2, sizeof(c2)), 0);
	tu_lookup(fix, "web", &sb);
	assert_shows(fix, "web~", "web", 2);
	/* Numbered: the same gesture. */
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web.~1~", &c),
			 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), -ENOENT);
}

static void test_dropbox_backup_other_names_refused(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	uint8_t a[2048], b[2048];
	struct dfs_dbstat sb;

	two_deploys(fix, a, b, sizeof(a));
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "api~", &c),
			 -EPERM);
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web.bak", &c),
			 -EPERM);
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web.~0~", &c),
			 -EPERM);
	tu_lookup(fix, "web", &sb);
}

static void test_dropbox_backup_rename_permission(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	uint8_t a[2048], b[2048];
	struct dfs_dbstat sb;

	if (c.uid == other.uid)
		skip();
	two_deploys(fix, a, b, sizeof(a));
	/* deploy/ is sticky: another's drop box is not theirs to move. */
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web~", &other),
			 -EPERM);
	tu_lookup(fix, "web", &sb);
}

static void test_dropbox_backup_unlink(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	uint8_t a[2048], b[2048];
	uint8_t id[16];

	two_deploys(fix, a, b, sizeof(a));
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web.~1~", &c),
			 -ENOENT);
	/* rsync -b removes a backup name that shows, then renames. */
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web~", &c), 0);
	assert_int_equal(dfs_dropbox_backup(tu_db(fix), "web~", id), -ENOENT);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web~", &c), -ENOENT);
	assert_int_equal(dfs_dropbox_rename(tu_db(fix), "web", "web~", &c), 0);
	assert_shows(fix, "web~", "web", 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_backup_shows_previous),
		T(test_dropbox_backup_rename_hides),
		T(test_dropbox_backup_other_names_refused),
		T(test_dropbox_backup_rename_permission),
		T(test_dropbox_backup_unlink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
