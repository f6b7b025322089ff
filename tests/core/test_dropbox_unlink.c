/*
 * test_dropbox_unlink — rm of deploy/<project> changes no history: the
 * project, its current and its records stay, and only its drop box
 * leaves deploy/ until the next deployment, which a create of the name
 * starts (install, mv, cp --remove-destination). Who may: whoever may
 * deploy to it, within deploy/'s sticky bit.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "dbutil.h"

static const struct dfs_caller other = {.uid = 2000, .gid = 2000, .pid = 1};
static const struct dfs_caller member = {.uid = 3000, .gid = 1001, .pid = 1};

/* web by uid 1000, group 1001, @mode: a deploy made by root then chown'd. */
static void make_web(struct tu_fix *fix, uint32_t mode, uint32_t seed)
{
	struct dfs_setattr sa = {.mask = DFS_SET_UID | DFS_SET_GID |
					 DFS_SET_MODE,
				 .uid = 1000,
				 .gid = 1001,
				 .mode = mode};
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), seed);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(tu_setattr(fix, "web", &sa), 0);
}

static void test_dropbox_unlink_hides_project(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_record before, after;
	struct dfs_dbstat sb, again;
	struct dfs_project p;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 1);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	tu_current(fix, "web", &before);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &c), 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &again),
			 -ENOENT);
	/* An inode the kernel holds still answers. */
	assert_int_equal(dfs_dropbox_stat(tu_db(fix), sb.kind, sb.num, &again),
			 0);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_true(p.hidden);
	tu_current(fix, "web", &after);
	assert_memory_equal(after.id, before.id, 16);
	assert_int_equal(tu_count(fix, NULL), 1);
	/* Once gone, it is gone. */
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &c), -ENOENT);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "nope", &c), -ENOENT);
}

static void test_dropbox_unlink_then_create_redeploys(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_record first, rec;
	struct dfs_dbfile *f;
	struct dfs_dbstat sb;
	uint8_t a[2048], b[3072], back[4096];
	uint8_t hash[32];

	tu_tar(a, sizeof(a), 2);
	tu_tar(b, sizeof(b), 3);
	tu_sha256(b, sizeof(b), hash);
	assert_int_equal(tu_cp(fix, "web", a, sizeof(a)), 0);
	tu_current(fix, "web", &first);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &c), 0);
	/* install: O_EXCL on the name, which is free now. */
	f = tu_create(fix, "web", SCREAT, 0600);
	assert_int_equal(dfs_dbfile_stat(f, &sb), 0);
	assert_int_equal(sb.size, 0); /* a new file, not the old payload */
	tu_write_all(f, b, sizeof(b));
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	assert_int_equal(tu_count(fix, "success"), 2);
	tu_current(fix, "web", &rec);
	assert_memory_equal(rec.payload_hash, hash, 32);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(sb.size, sizeof(b));
	assert_int_equal(tu_cat(fix, "web", back, sizeof(back)), sizeof(b));
	assert_memory_equal(back, b, sizeof(b));
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), first.id, &rec), 0);
	assert_true(rec.payload_blob_present);
	/* The deploy does not re-permission the project (created 0644). */
	assert_int_equal(sb.mode & 07777, 0644);
}

static void test_dropbox_unlink_empty_create_stays_hidden(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	struct dfs_dbstat sb;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 4);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &c), 0);
	f = tu_create(fix, "web", WCREAT, 0644);
	assert_int_equal(dfs_dbfile_flush(f), 0);
	dfs_dbfile_close(f);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), -ENOENT);
	assert_int_equal(tu_count(fix, NULL), 1);
}

static void test_dropbox_unlink_survives_restart(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;
	uint8_t buf[2048];

	tu_tar(buf, sizeof(buf), 5);
	assert_int_equal(tu_cp(fix, "web", buf, sizeof(buf)), 0);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &c), 0);
	dfs_dropbox_free(tu_db(fix));
	fix->extra = NULL;
	assert_int_equal(dfs_dropbox_new(fix->st, &fix->conf,
					 (struct dfs_dropbox **)&fix->extra),
			 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), -ENOENT);
}

static void test_dropbox_unlink_sticky(void **state)
{
	struct dfs_caller owner = {.uid = 1000, .gid = 1001, .pid = 1};
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	/* Group-writable, but deploy/ is sticky: the owner's alone. */
	make_web(fix, 0664, 6);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &member),
			 -EPERM);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &other), -EPERM);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &owner), 0);
}

static void test_dropbox_unlink_needs_write(void **state)
{
	struct dfs_setattr sa = {.mask = DFS_SET_MODE, .mode = 0777};
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbstat sb;

	/* Without the sticky bit, whoever may deploy to it may. */
	assert_int_equal(dfs_dropbox_dir_setattr(tu_db(fix), &sa, &c, &sb), 0);
	make_web(fix, 0664, 7);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &other),
			 -EACCES);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &member), 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "web", &sb), -ENOENT);
}

static void test_dropbox_unlink_create_needs_write(void **state)
{
	struct dfs_caller owner = {.uid = 1000, .gid = 1001, .pid = 1};
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f = NULL;

	/* A hidden project is still its owner's: others cannot take it. */
	make_web(fix, 0644, 8);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &owner), 0);
	assert_int_equal(
		dfs_dropbox_create(tu_db(fix), "web", WCREAT, 0666, &other, &f),
		-EACCES);
	assert_null(f);
	assert_int_equal(
		dfs_dropbox_create(tu_db(fix), "web", WCREAT, 0666, &owner, &f),
		0);
	dfs_dbfile_close(f);
}

static void test_dropbox_unlink_rename_onto_hidden(void **state)
{
	struct dfs_caller c = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	struct dfs_dbstat sb;
	uint8_t a[2048], b[2560];

	tu_tar(a, sizeof(a), 9);
	tu_tar(b, sizeof(b), 10);
	assert_int_equal(tu_cp(fix, "web", a, sizeof(a)), 0);
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "web", &c), 0);
	f = tu_create(fix, ".web.abc123", SCREAT, 0600);
	tu_write_all(f, b, sizeof(b));
	dfs_dbfile_close(f);
	assert_int_equal(
		dfs_dropbox_rename(tu_db(fix), ".web.abc123", "web", &c), 0);
	tu_lookup(fix, "web", &sb);
	assert_int_equal(sb.size, sizeof(b));
	assert_int_equal(tu_count(fix, "success"), 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_unlink_hides_project),
		T(test_dropbox_unlink_then_create_redeploys),
		T(test_dropbox_unlink_empty_create_stays_hidden),
		T(test_dropbox_unlink_survives_restart),
		T(test_dropbox_unlink_sticky),
		T(test_dropbox_unlink_needs_write),
		T(test_dropbox_unlink_create_needs_write),
		T(test_dropbox_unlink_rename_onto_hidden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
