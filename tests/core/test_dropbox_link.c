/*
 * test_dropbox_link — the rollback gesture in deploy/: a symlink to a
 * deployment (dfs_dropbox_symlink), renamed onto its project as
 * `ln -sfn ../deployments/<id> deploy/<project>` does, is a rollback;
 * the link reads back as "../deployments/<id>" and can be removed.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "dbutil.h"
#include "hook.h"
#include "maintutil.h"
#include "uuid7.h"

/* v1 and v2 of web succeed, v3 fails. */
static void history(struct tu_fix *fix, struct dfs_record v[3])
{
	tu_deploy(fix, "web", 1, &v[0]);
	tu_deploy(fix, "web", 2, &v[1]);
	tu_deploy_text(fix, "web", &v[2]);
}

static int symlink_to(struct tu_fix *fix, const char *name, const char *target,
		      struct dfs_dbstat *sb)
{
	struct dfs_caller c = tu_caller();

	memset(sb, 0x5a, sizeof(*sb));
	return dfs_dropbox_symlink(tu_db(fix), name, target, &c, sb);
}

static int rename_to(struct tu_fix *fix, const char *from, const char *to)
{
	struct dfs_caller c = tu_caller();

	return dfs_dropbox_rename(tu_db(fix), from, to, &c);
}

/* "../deployments/<id of @rec>" into @out (64 bytes). */
static void rel_target(const struct dfs_record *rec, char *out)
{
	char id[37];

	dfs_uuid7_format(rec->id, id);
	snprintf(out, 64, "../deployments/%s", id);
}

static void assert_link(struct tu_fix *fix, const char *name,
			const struct dfs_record *to)
{
	char want[64], got[256];
	struct dfs_dbstat sb, by_num;

	rel_target(to, want);
	tu_lookup(fix, name, &sb);
	assert_true(sb.link);
	assert_int_equal(sb.kind, DFS_DB_NODE);
	assert_int_equal(sb.size, strlen(want));
	assert_int_equal(dfs_dropbox_stat(tu_db(fix), sb.kind, sb.num, &by_num),
			 0);
	assert_true(by_num.link);
	assert_int_equal(by_num.num, sb.num);
	assert_int_equal(
		dfs_dropbox_readlink(tu_db(fix), sb.num, got, sizeof(got)), 0);
	assert_string_equal(got, want);
}

static void test_dropbox_symlink_rename_rolls_back(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], cur;
	struct dfs_dbstat sb;
	char target[64];
	uint8_t *want, got[8192];
	size_t n;

	history(fix, v);
	rel_target(&v[0], target);
	assert_int_equal(symlink_to(fix, "tmpname", target, &sb), 0);
	assert_true(sb.link);
	assert_link(fix, "tmpname", &v[0]);
	/* A link is no deployment. */
	assert_int_equal(tu_count(fix, NULL), 3);

	assert_int_equal(rename_to(fix, "tmpname", "web"), 0);
	assert_int_equal(tu_count(fix, NULL), 4);
	tu_latest(fix, "web", &cur);
	assert_int_equal(cur.status, DFS_STATUS_SUCCESS);
	assert_true(cur.has_rollback);
	assert_memory_equal(cur.rollback_of, v[0].id, 16);
	assert_memory_equal(cur.payload_hash, v[0].payload_hash, 32);
	assert_int_equal(cur.who.uid, getuid());
	tu_assert_current(fix, "web", &cur);
	/* The link is gone; deploy/web reads v1's bytes. */
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "tmpname", &sb),
			 -ENOENT);
	tu_lookup(fix, "web", &sb);
	assert_false(sb.link);
	assert_int_equal(sb.kind, DFS_DB_PROJECT);
	assert_int_equal(tu_targz(2000, 1, &want, &n), 0);
	assert_int_equal(tu_cat(fix, "web", got, sizeof(got)), n);
	assert_memory_equal(got, want, n);
	free(want);
}

static void test_dropbox_symlink_target_forms(void **state)
{
	struct tu_fix *fix = *state;
	char id[37], target[PATH_MAX];
	struct dfs_record v[3];
	struct dfs_dbstat sb;

	history(fix, v);
	dfs_uuid7_format(v[1].id, id);
	assert_int_equal(symlink_to(fix, "l1", id, &sb), 0);
	assert_link(fix, "l1", &v[1]);
	snprintf(target, sizeof(target), "../deployments/%s", id);
	assert_int_equal(symlink_to(fix, "l2", target, &sb), 0);
	assert_link(fix, "l2", &v[1]);
	snprintf(target, sizeof(target), "/abs/path/deployments/%s/", id);
	assert_int_equal(symlink_to(fix, "l3", target, &sb), 0);
	assert_link(fix, "l3", &v[1]);
	/* Each rolls back. */
	assert_int_equal(rename_to(fix, "l3", "web"), 0);
	assert_int_equal(tu_count(fix, "success"), 3);
}

static void test_dropbox_symlink_bad_target(void **state)
{
	struct tu_fix *fix = *state;
	char target[PATH_MAX], id[37];
	struct dfs_record v[3];
	struct dfs_dbstat sb;
	uint8_t unknown[16];

	history(fix, v);
	assert_int_equal(symlink_to(fix, "l", "", &sb), -EINVAL);
	assert_int_equal(symlink_to(fix, "l", "../deployments/", &sb), -EINVAL);
	assert_int_equal(symlink_to(fix, "l", "../deployments/web", &sb),
			 -EINVAL);
	assert_int_equal(symlink_to(fix, "l", "app.tar.gz", &sb), -EINVAL);
	dfs_uuid7_format(v[0].id, id);
	/* An id glued to other text is not an id. */
	snprintf(target, sizeof(target), "../deployments/x%s", id);
	assert_int_equal(symlink_to(fix, "l", target, &sb), -EINVAL);
	tu_unknown_id(fix, unknown);
	dfs_uuid7_format(unknown, id);
	snprintf(target, sizeof(target), "../deployments/%s", id);
	assert_int_equal(symlink_to(fix, "l", target, &sb), -ENOENT);
	/* Nothing was made. */
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "l", &sb), -ENOENT);
	assert_int_equal(tu_count(fix, NULL), 3);
}

static void test_dropbox_symlink_name_taken(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3];
	struct dfs_dbstat sb;
	char target[64];

	history(fix, v);
	rel_target(&v[0], target);
	assert_int_equal(symlink_to(fix, "web", target, &sb), -EEXIST);
	assert_int_equal(symlink_to(fix, "l", target, &sb), 0);
	assert_int_equal(symlink_to(fix, "l", target, &sb), -EEXIST);
	assert_link(fix, "l", &v[0]);
}

static void test_dropbox_rename_link_other_project(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3], api;
	struct dfs_dbstat sb;
	char target[64];

	history(fix, v);
	tu_deploy(fix, "api", 9, &api);
	rel_target(&v[0], target);
	assert_int_equal(symlink_to(fix, "l", target, &sb), 0);
	assert_int_equal(rename_to(fix, "l", "api"), -EINVAL);
	assert_link(fix, "l", &v[0]);
	assert_int_equal(tu_count(fix, NULL), 4);
	tu_assert_current(fix, "api", &api);
	tu_assert_current(fix, "web", &v[1]);
}

static void test_dropbox_rename_link_refused(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record v[3];
	struct dfs_dbstat sb;
	struct dfs_who who;
	char target[64];
	uint64_t freed;

	tu_who(&who);
	history(fix, v);
	/* To a failed deployment. */
	rel_target(&v[2], target);
	assert_int_equal(symlink_to(fix, "bad", target, &sb), 0);
	assert_int_equal(rename_to(fix, "bad", "web"), -EINVAL);
	assert_link(fix, "bad", &v[2]);
	/* To a dropped payload. */
	assert_int_equal(dfs_payload_drop(fix->st, v[0].id, DFS_DROP_ASKED,
					  &who, &freed),
			 0);
	rel_target(&v[0], target);
	assert_int_equal(symlink_to(fix, "gone", target, &sb), 0);
	assert_int_equal(rename_to(fix, "gone", "web"), -ENODATA);
	assert_link(fix, "gone", &v[0]);
	assert_int_equal(tu_count(fix, NULL), 3);
	tu_assert_current(fix, "web", &v[1]);
}

static void test_dropbox_rename_link_hook_fails(void **state)
{
	struct dfs_hooks_conf conf = {.wait = true};
	static const char body[] = "#!/bin/sh\nexit 1\n";
	struct tu_fix *fix = *state;
	struct dfs_hooks *h = NULL;
	struct dfs_record v[3], last;
	char path[PATH_MAX], target[64];
	struct dfs_dbstat sb;
	int rc;

	history(fix, v);
	tu_path(path, "%s/hook.sh", fix->base);
	assert_int_equal(tu_write_file(path, body, strlen(body)), 0);
	assert_int_equal(chmod(path, 0755), 0);
	conf.path = path;
	rel_target(&v[0], target);
	assert_int_equal(symlink_to(fix, "l", target, &sb), 0);
	assert_int_equal(dfs_hooks_new(fix->st, &conf, &h), 0);
	fix->conf.hooks = h;
	rc = rename_to(fix, "l", "web");
	dfs_hooks_free(h);
	/* The rollback's error; the link stays on failure. */
	assert_int_equal(rc, -ECANCELED);
	assert_link(fix, "l", &v[0]);
	tu_latest(fix, "web", &last);
	assert_int_equal(last.status, DFS_STATUS_FAILED);
	assert_string_equal(last.error.code, "hook_failed");
	assert_memory_equal(last.rollback_of, v[0].id, 16);
	tu_assert_current(fix, "web", &v[1]);
}

static void test_dropbox_unlink_link(void **state)
{
	struct dfs_caller caller = tu_caller();
	struct tu_fix *fix = *state;
	struct dfs_record v[3];
	struct dfs_dbstat sb;
	char target[64], buf[64];
	uint64_t num;

	history(fix, v);
	rel_target(&v[0], target);
	assert_int_equal(symlink_to(fix, "l", target, &sb), 0);
	num = sb.num;
	assert_int_equal(dfs_dropbox_unlink(tu_db(fix), "l", &caller), 0);
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), "l", &sb), -ENOENT);
	assert_int_equal(
		dfs_dropbox_readlink(tu_db(fix), num, buf, sizeof(buf)),
		-ENOENT);
	assert_int_equal(tu_count(fix, NULL), 3);
	/* The name is free again. */
	assert_int_equal(symlink_to(fix, "l", target, &sb), 0);
}

static void test_dropbox_readlink_not_link(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_dbfile *f;
	struct dfs_dbstat sb;
	char buf[64];

	f = tu_create(fix, ".web.AbC123", SCREAT, 0600);
	tu_lookup(fix, ".web.AbC123", &sb);
	assert_false(sb.link);
	assert_int_equal(
		dfs_dropbox_readlink(tu_db(fix), sb.num, buf, sizeof(buf)),
		-EINVAL);
	dfs_dbfile_close(f);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_db_setup, tu_db_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dropbox_symlink_rename_rolls_back),
		T(test_dropbox_symlink_target_forms),
		T(test_dropbox_symlink_bad_target),
		T(test_dropbox_symlink_name_taken),
		T(test_dropbox_rename_link_other_project),
		T(test_dropbox_rename_link_refused),
		T(test_dropbox_rename_link_hook_fails),
		T(test_dropbox_unlink_link),
		T(test_dropbox_readlink_not_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
