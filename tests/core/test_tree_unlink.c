/*
 * test_tree_unlink — rm in the tree: a payload is dropped (with the
 * caller's permission and name in the audit log), everything else stays.
 */
#include <errno.h>
#include <limits.h>
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

#include "payload.h"
#include "audit.h"
#include "catalog.h"
#include "isotime.h"
#include "reader.h"
#include "treeutil.h"
#include "uuid7.h"

static void test_tree_lookup_payload_dropped(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = 1};
	uint64_t dir, pino, freed;
	struct dfs_who who;
	struct tu_listing l;
	struct tu_world w;
	struct dfs_reader *rd = NULL;
	char buf[64];
	size_t got;
	struct stat s;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "deployments/%s", w.id[TU_B]);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "payload", &s, NULL), 0);
	assert_int_equal(s.st_size, w.rec[TU_B].payload_size);
	pino = s.st_ino;
	assert_int_equal(dfs_tree_open_payload(tu_tree(fix), pino, &root, &rd),
			 0);
	assert_int_equal(dfs_reader_read(rd, buf, sizeof(buf),
					 w.rec[TU_B].payload_size, &got),
			 0);
	assert_int_equal(got, 0); /* the end is where the record says */
	dfs_reader_close(rd);
	tu_list(fix, dir, SIZE_MAX, &l);
	assert_true(tu_listed(&l, "record.json"));
	assert_true(tu_listed(&l, "payload"));

	tu_who(&who);
	assert_int_equal(dfs_payload_drop(fix->st, w.rec[TU_B].id,
					  DFS_DROP_ASKED, &who, &freed),
			 0);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "payload", &s, NULL),
		-ENOENT);
	assert_int_equal(dfs_tree_getattr(tu_tree(fix), pino, &s), -ENOENT);
	assert_int_equal(dfs_tree_open_payload(tu_tree(fix), pino, &root, &rd),
			 -ENOENT);
	tu_list(fix, dir, SIZE_MAX, &l);
	assert_true(tu_listed(&l, "record.json"));
	assert_false(tu_listed(&l, "payload"));
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "record.json", &s, NULL), 0);
}

static void test_tree_unlink_payload_no_permission(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller other = {.uid = 2000, .gid = 2000, .pid = 1};
	struct dfs_caller group = {.uid = 2000, .gid = 1001, .pid = 1};
	struct dfs_record back;
	uint64_t dir, size1, size2;
	struct tu_world w;
	struct stat s;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "deployments/%s", w.id[TU_A]);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size1), 0);
	assert_int_equal(dfs_tree_unlink(tu_tree(fix), dir, "payload", &other),
			 -EACCES);
	assert_int_equal(dfs_tree_unlink(tu_tree(fix), dir, "payload", &group),
			 -EACCES);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "payload", &s, NULL), 0);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st),
					 w.rec[TU_A].id, &back),
			 0);
	assert_true(back.payload_blob_present);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size2), 0);
	assert_int_equal(size2, size1);
}

static int last_event_cb(void *arg, const struct dfs_event *e)
{
	struct dfs_event *last = arg;

	*last = *e;
	last->line = NULL;
	return 0;
}

static void test_tree_unlink_payload_root(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = getpid()};
	struct dfs_event last;
	struct dfs_record back;
	struct tu_world w;
	struct stat s;
	uint64_t dir;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "deployments/%s", w.id[TU_A]);
	assert_int_equal(dfs_tree_unlink(tu_tree(fix), dir, "payload", &root),
			 0);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "payload", &s, NULL),
		-ENOENT);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st),
					 w.rec[TU_A].id, &back),
			 0);
	assert_false(back.payload_blob_present);
	memset(&last, 0, sizeof(last));
	assert_int_equal(dfs_catalog_audit_scan(dfs_store_catalog(fix->st), 0,
						last_event_cb, &last),
			 0);
	assert_string_equal(last.action, "payload_dropped");
	assert_memory_equal(last.id, w.rec[TU_A].id, 16);
	assert_int_equal(last.who.uid, 0);
	assert_int_equal(last.who.pid, getpid());
	assert_non_null(strstr(last.who.command, "test_tree"));
	/* Gone already. */
	assert_int_equal(dfs_tree_unlink(tu_tree(fix), dir, "payload", &root),
			 -ENOENT);
}

static void test_tree_unlink_payload_owner(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller owner = {.uid = 1000, .gid = 1001, .pid = 1};
	struct tu_world w;
	struct stat s;
	uint64_t dir;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "deployments/%s", w.id[TU_B]);
	assert_int_equal(dfs_tree_unlink(tu_tree(fix), dir, "payload", &owner),
			 0);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "payload", &s, NULL),
		-ENOENT);
	/* web's current moved back to A. */
	tu_assert_link(fix, tu_ino(fix, "projects/web/current"), w.id[TU_A]);
}

static void test_tree_unlink_record_json(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = getpid()};
	struct tu_world w;
	struct stat s;
	uint64_t dir;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "deployments/%s", w.id[TU_A]);
	assert_int_equal(
		dfs_tree_unlink(tu_tree(fix), dir, "record.json", &root),
		-EPERM);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "record.json", &s, NULL), 0);
	/* rm of deploy/<project> only hides it (see test_dropbox_unlink). */
	assert_int_equal(
		dfs_tree_unlink(tu_tree(fix), DFS_INO_DEPLOY, "web", &root), 0);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), DFS_INO_DEPLOY, "web", &s, NULL),
		-ENOENT);
	assert_int_equal(
		dfs_tree_lookup(tu_tree(fix), dir, "record.json", &s, NULL), 0);
}

static void test_tree_unlink_log_manifest(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = getpid()};
	static const char *const names[] = {"log", "manifest"};
	char path[PATH_MAX];
	struct tu_world w;
	struct stat s;
	uint64_t dir;

	tu_world_make(fix, &w);
	dir = tu_ino(fix, "deployments/%s", w.id[TU_A]);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(
			dfs_tree_lookup(tu_tree(fix), dir, names[i], &s, NULL),
			0);
		assert_int_equal(
			dfs_tree_unlink(tu_tree(fix), dir, names[i], &root),
			-EPERM);
		assert_int_equal(
			dfs_tree_lookup(tu_tree(fix), dir, names[i], &s, NULL),
			0);
	}
	/* A side file that is not there is not there. */
	snprintf(path, sizeof(path), "%s/logs/%s", dfs_store_dir(fix->st),
		 w.id[TU_A]);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(dfs_tree_unlink(tu_tree(fix), dir, "log", &root),
			 -ENOENT);
	assert_int_equal(dfs_tree_unlink(tu_tree(fix), dir, "other", &root),
			 -ENOENT);
}

static void assert_erofs(struct tu_fix *fix, uint64_t parent, const char *name)
{
	struct dfs_caller root = {.uid = 0, .gid = 0, .pid = getpid()};

	assert_int_equal(dfs_tree_unlink(tu_tree(fix), parent, name, &root),
			 -EROFS);
}

static void test_tree_unlink_elsewhere(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t size1, size2;
	struct tu_world w;

	tu_world_make(fix, &w);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size1), 0);
	assert_erofs(fix, DFS_INO_ROOT, "audit.log");
	assert_erofs(fix, DFS_INO_ROOT, "deployments");
	assert_erofs(fix, tu_ino(fix, "deployments"), w.id[TU_A]);
	assert_erofs(fix, tu_ino(fix, "projects"), "web");
	assert_erofs(fix, tu_ino(fix, "projects/web"), "current");
	assert_erofs(fix, tu_ino(fix, "projects/web"), w.id[TU_A]);
	assert_erofs(fix, tu_ino(fix, "status"), "success");
	assert_erofs(fix, tu_ino(fix, "status/success"), w.id[TU_A]);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size2), 0);
	assert_int_equal(size2, size1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_tree_setup, tu_tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tree_lookup_payload_dropped),
		T(test_tree_unlink_payload_no_permission),
		T(test_tree_unlink_payload_root),
		T(test_tree_unlink_payload_owner),
		T(test_tree_unlink_record_json),
		T(test_tree_unlink_log_manifest),
		T(test_tree_unlink_elsewhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
