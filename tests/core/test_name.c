/*
 * test_name — project names [A-Za-z0-9][A-Za-z0-9._-]{0,127} and staging
 * names ".<project>.<6 to 16 of [A-Za-z0-9_]>".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"

static void test_name_is_project_valid(void **state)
{
	static const char *const good[] = {
		"a",	  "Z",	  "0",	"myapp", "My-App_1.2",
		"web.v2", "a..b", "x-", "9_",	 "api-gateway",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(dfs_name_is_project(good[i]));
}

static void test_name_is_project_max_length(void **state)
{
	char s[DFS_PROJECT_MAX + 2];

	(void)state;
	memset(s, 'a', DFS_PROJECT_MAX);
	s[DFS_PROJECT_MAX] = '\0';
	assert_true(dfs_name_is_project(s));
	s[DFS_PROJECT_MAX] = 'a';
	s[DFS_PROJECT_MAX + 1] = '\0';
	assert_false(dfs_name_is_project(s));
}

static void test_name_is_project_invalid(void **state)
{
	static const char *const bad[] = {
		"",    ".",   "..",    ".hidden",     "-x",
		"_x",  "a/b", "a b",   "a\n",	      "caf\xc3\xa9",
		"a:b", "a*",  "tab\t", ".web.abc123",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(dfs_name_is_project(bad[i]));
}

static void test_name_parse_staging_valid(void **state)
{
	char project[DFS_PROJECT_MAX + 1];

	(void)state;
	assert_true(dfs_name_parse_staging(".web.abc123", project));
	assert_string_equal(project, "web");
	assert_true(dfs_name_parse_staging(".web.AbC_0987654321zz", project));
	assert_string_equal(project, "web");
	/* rsync keeps the whole name, dots included, before its suffix. */
	assert_true(dfs_name_parse_staging(".my.app.XyZ123", project));
	assert_string_equal(project, "my.app");
}

static void test_name_parse_staging_suffix_length(void **state)
{
	char project[DFS_PROJECT_MAX + 1];

	(void)state;
	assert_false(dfs_name_parse_staging(".web.abc12", project));
	assert_true(dfs_name_parse_staging(".web.abc123", project));
	assert_true(dfs_name_parse_staging(".web.abcdefghij012345", project));
	assert_false(dfs_name_parse_staging(".web.abcdefghij0123456", project));
}

static void test_name_parse_staging_long_project(void **state)
{
	char name[DFS_PROJECT_MAX + 16];
	char project[DFS_PROJECT_MAX + 1];

	(void)state;
	name[0] = '.';
	memset(name + 1, 'p', DFS_PROJECT_MAX);
	strcpy(name + 1 + DFS_PROJECT_MAX, ".abc123");
	assert_true(dfs_name_parse_staging(name, project));
	assert_int_equal(strlen(project), DFS_PROJECT_MAX);
	/* One more character and the project is no project. */
	name[0] = '.';
	memset(name + 1, 'p', DFS_PROJECT_MAX + 1);
	strcpy(name + 2 + DFS_PROJECT_MAX, ".abc12");
	name[DFS_PROJECT_MAX + 8] = '3';
	name[DFS_PROJECT_MAX + 9] = '\0';
	assert_false(dfs_name_parse_staging(name, project));
}

static void test_name_parse_staging_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"web",
		".web",
		".web.",
		"..abc123",
		".-web.abc123",
		"._web.abc123",
		".web.abc-12",
		".web.abc.12",
		"web.abc123",
		".we b.abc123",
		".web/x.abc123",
		".web.abc123 ",
	};
	char project[DFS_PROJECT_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(dfs_name_parse_staging(bad[i], project));
}

static void test_name_parse_staging_not_project(void **state)
{
	/* Staging names are never project names, and the reverse. */
	char project[DFS_PROJECT_MAX + 1];

	(void)state;
	assert_false(dfs_name_is_project(".web.abc123"));
	assert_false(dfs_name_parse_staging("web.abc123", project));
}

static void test_name_is_staging(void **state)
{
	static const char *const good[] = {
		".web.abc123", ".tmpab12cd", ".ansible_tmpk2j3web",
		".#web",       ".web",	     ".a b~"};
	static const char *const bad[] = {
		"web",	  ".",	      "..",	      "",
		".we\tb", ".web\x7f", ".caf\xc3\xa9", "-x"};
	char name[DFS_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(dfs_name_is_staging(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(dfs_name_is_staging(bad[i]));
	memset(name, 'x', sizeof(name));
	name[0] = '.';
	name[DFS_NAME_MAX] = '\0';
	assert_true(dfs_name_is_staging(name));
	name[DFS_NAME_MAX] = 'x';
	name[DFS_NAME_MAX + 1] = '\0';
	assert_false(dfs_name_is_staging(name));
}

static void test_name_parse_backup_valid(void **state)
{
	char project[DFS_PROJECT_MAX + 1];
	uint64_t n = 99;

	(void)state;
	assert_true(dfs_name_parse_backup("web~", project, &n));
	assert_string_equal(project, "web");
	assert_int_equal(n, 0);
	assert_true(dfs_name_parse_backup("web.~1~", project, &n));
	assert_string_equal(project, "web");
	assert_int_equal(n, 1);
	assert_true(dfs_name_parse_backup("my.app-2.~42~", project, &n));
	assert_string_equal(project, "my.app-2");
	assert_int_equal(n, 42);
	/* "web.~" is no number: the project would be "web." then. */
	assert_true(dfs_name_parse_backup("web.~", project, &n));
	assert_string_equal(project, "web.");
	assert_int_equal(n, 0);
}

static void test_name_parse_backup_invalid(void **state)
{
	static const char *const bad[] = {
		"web",	    "~",	"web~~",
		"web.~0~",  "web.~01~", "web.~1",
		"web~1~",   "web.~1a~", ".web~",
		"-web~",    "web.~~",	"we~b~",
		"web.~1~~", ".~tmp~",	"web.~12345678901234567890~"};
	char project[DFS_PROJECT_MAX + 1] = "";
	uint64_t n = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(dfs_name_parse_backup(bad[i], project, &n));
		assert_int_equal(n, 7); /* untouched */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_project_valid),
		cmocka_unit_test(test_name_is_project_max_length),
		cmocka_unit_test(test_name_is_project_invalid),
		cmocka_unit_test(test_name_parse_staging_valid),
		cmocka_unit_test(test_name_parse_staging_suffix_length),
		cmocka_unit_test(test_name_parse_staging_long_project),
		cmocka_unit_test(test_name_parse_staging_invalid),
		cmocka_unit_test(test_name_parse_staging_not_project),
		cmocka_unit_test(test_name_is_staging),
		cmocka_unit_test(test_name_parse_backup_valid),
		cmocka_unit_test(test_name_parse_backup_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
