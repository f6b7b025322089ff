/*
 * test_who — the writer's identity from its ids and /proc/<pid>/cmdline.
 */
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "who.h"

static void test_who_fill_self(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	struct dfs_who who;

	(void)state;
	memset(&who, 0x5a, sizeof(who));
	dfs_who_fill(&who, getuid(), getgid(), getpid());
	assert_int_equal(who.uid, getuid());
	assert_int_equal(who.gid, getgid());
	assert_int_equal(who.pid, getpid());
	if (pw)
		assert_string_equal(who.user, pw->pw_name);
	/* argv joined by spaces: the program, then its arguments. */
	assert_non_null(strstr(who.command, "test_who"));
	assert_true(strlen(who.command) < DFS_COMMAND_MAX);
}

static void test_who_fill_unknown_uid(void **state)
{
	const uid_t uid = 3999999;
	struct dfs_who who;
	char want[32];

	(void)state;
	if (getpwuid(uid))
		skip();
	dfs_who_fill(&who, uid, 12345, getpid());
	snprintf(want, sizeof(want), "%u", (unsigned)uid);
	assert_string_equal(who.user, want);
	assert_int_equal(who.gid, 12345);
}

static void test_who_fill_gone_process(void **state)
{
	struct dfs_who who;
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	memset(&who, 0x5a, sizeof(who));
	dfs_who_fill(&who, getuid(), getgid(), pid);
	assert_string_equal(who.command, "");
	assert_int_equal(who.pid, pid);
}

static void test_who_self_matches_fill(void **state)
{
	struct dfs_who a, b;

	(void)state;
	dfs_who_self(&a);
	dfs_who_fill(&b, getuid(), getgid(), getpid());
	assert_int_equal(a.uid, b.uid);
	assert_int_equal(a.gid, b.gid);
	assert_int_equal(a.pid, b.pid);
	assert_string_equal(a.user, b.user);
	assert_string_equal(a.command, b.command);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_who_fill_self),
	    cmocka_unit_test(test_who_fill_unknown_uid),
	    cmocka_unit_test(test_who_fill_gone_process),
	    cmocka_unit_test(test_who_self_matches_fill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
