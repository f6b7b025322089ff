/*
 * test_report — one line per settled deployment goes to the sink the
 * front end attached: success, each failure with its code and message
 * (control bytes escaped), nothing while pending, nothing without a sink.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "deploy.h"
#include "maintutil.h"
#include "report.h"
#include "testutil.h"
#include "uuid7.h"

struct sink {
	unsigned n;
	char last[4096];
};

static void collect(void *arg, const char *line)
{
	struct sink *s = arg;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", line);
}

static void expect_line(const struct sink *s, const char *project,
			const uint8_t id[16], const char *rest)
{
	char want[4096], idstr[37];

	dfs_uuid7_format(id, idstr);
	snprintf(want, sizeof(want), "%s %s: %s", project, idstr, rest);
	assert_string_equal(s->last, want);
}

static void test_report_line_escapes(void **state)
{
	struct dfs_record r;
	char line[256], idstr[37], want[256];

	(void)state;
	dfs_record_init(&r);
	snprintf(r.project, sizeof(r.project), "web");
	dfs_uuid7_next(NULL, 1700000000000ULL, r.id);
	dfs_uuid7_format(r.id, idstr);
	r.status = DFS_STATUS_SUCCESS;
	dfs_report_line(&r, line, sizeof(line));
	snprintf(want, sizeof(want), "web %s: success", idstr);
	assert_string_equal(line, want);

	r.status = DFS_STATUS_FAILED;
	dfs_record_set_error(&r, DFS_ERR_HOOK_FAILED, DFS_PHASE_HOOK,
			     "exit 3: one\ntwo\tthree \\ \x01");
	dfs_report_line(&r, line, sizeof(line));
	snprintf(want, sizeof(want),
		 "web %s: failed: hook_failed: exit 3: one\\ntwo\\tthree "
		 "\\\\ \\001",
		 idstr);
	assert_string_equal(line, want);
	assert_null(strchr(line, '\n'));

	/* Too small a buffer: cut, terminated, no newline. */
	dfs_report_line(&r, line, 20);
	assert_int_equal(strlen(line), 19);
}

static void test_report_settled_deploys(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_record ok, bad;
	struct dfs_deploy *d;
	struct dfs_who who;
	struct sink s = {0};
	char rest[1024];
	uint8_t id[16];

	fix->conf.report = collect;
	fix->conf.report_arg = &s;
	tu_deploy(fix, "web", 1, &ok);
	assert_int_equal(s.n, 1);
	expect_line(&s, "web", ok.id, "success");

	tu_deploy_text(fix, "web", &bad);
	assert_int_equal(s.n, 2);
	snprintf(rest, sizeof(rest), "failed: not_an_archive: %s",
		 bad.error.message);
	expect_line(&s, "web", bad.id, rest);

	/* Pending says nothing; the writer going away settles it: aborted. */
	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, "api", &who, &attr, &d),
		0);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM("x", 1), 0), 0);
	memcpy(id, dfs_deploy_record(d)->id, 16);
	assert_int_equal(s.n, 2);
	dfs_deploy_abort(d);
	assert_int_equal(s.n, 3);
	snprintf(rest, sizeof(rest), "failed: aborted: ");
	s.last[strlen("api ") + 36 + strlen(": failed: aborted: ")] = '\0';
	expect_line(&s, "api", id, rest);

	/* A staging file never named (its rename never came): no line. */
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, NULL, &who, &attr, &d),
		0);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM("x", 1), 0), 0);
	dfs_deploy_abort(d);
	assert_int_equal(s.n, 3);

	/* Detached: nothing more. */
	fix->conf.report = NULL;
	fix->conf.report_arg = NULL;
	tu_deploy(fix, "web", 2, NULL);
	assert_int_equal(s.n, 3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_line_escapes),
		T(test_report_settled_deploys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
