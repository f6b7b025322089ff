/*
 * test_who — the writer's identity from its ids and /proc/<pid>/cmdline,
 * and its provenance from /proc/<pid>/exe and named variables of an
 * environment block (synthetic ones, fed in pieces of every size).
 */
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Scan the environment block @env (@len bytes) fed @piece bytes a time. */
static void scan(const char *env, size_t len, size_t piece,
		 struct dfs_provenance *p)
{
	struct dfs_envscan e;

	memset(p, 0x5a, sizeof(*p));
	strcpy(p->exe, "/bin/kept");
	dfs_envscan_init(&e, p);
	for (size_t off = 0; off < len; off += piece)
		dfs_envscan_feed(&e, env + off,
				 len - off < piece ? len - off : piece);
	dfs_envscan_finish(&e);
}

/* Every piece size must give the same answer as the whole block. */
static void scan_all_pieces(const char *env, size_t len,
			    struct dfs_provenance *p)
{
	struct dfs_provenance q;

	scan(env, len, len ? len : 1, p);
	for (size_t piece = 1; piece < 40; piece++) {
		scan(env, len, piece, &q);
		assert_memory_equal(p, &q, sizeof(q));
	}
}

#define ENV(s) s, sizeof(s) - 1

static void test_envscan_github(void **state)
{
	struct dfs_provenance p;

	(void)state;
	scan_all_pieces(ENV("HOME=/root\0GITHUB_SHA=abc123\0PATH=/bin\0"
			    "GITHUB_REF=refs/heads/main\0"
			    "GITHUB_SERVER_URL=https://github.com\0"
			    "GITHUB_REPOSITORY=acme/web\0GITHUB_RUN_ID=99\0"),
			&p);
	assert_string_equal(p.exe, "/bin/kept");
	assert_string_equal(p.revision, "abc123");
	assert_string_equal(p.ref, "refs/heads/main");
	assert_string_equal(p.ci_url,
			    "https://github.com/acme/web/actions/runs/99");
	assert_string_equal(p.ssh_client, "");
	assert_string_equal(p.note, "");
}

static void test_envscan_gitlab_jenkins_buildkite_circle(void **state)
{
	struct dfs_provenance p;

	(void)state;
	scan_all_pieces(ENV("CI_COMMIT_SHA=g1\0CI_COMMIT_REF_NAME=main\0"
			    "CI_JOB_URL=https://gitlab.example/j/1\0"),
			&p);
	assert_string_equal(p.revision, "g1");
	assert_string_equal(p.ref, "main");
	assert_string_equal(p.ci_url, "https://gitlab.example/j/1");
	scan_all_pieces(ENV("BUILD_URL=https://ci.example/job/7/\0"
			    "GIT_BRANCH=origin/rel\0GIT_COMMIT=j1\0"),
			&p);
	assert_string_equal(p.revision, "j1");
	assert_string_equal(p.ref, "origin/rel");
	assert_string_equal(p.ci_url, "https://ci.example/job/7/");
	scan_all_pieces(ENV("BUILDKITE_COMMIT=b1\0BUILDKITE_BRANCH=dev\0"
			    "BUILDKITE_BUILD_URL=https://bk.example/b/3\0"),
			&p);
	assert_string_equal(p.revision, "b1");
	assert_string_equal(p.ref, "dev");
	assert_string_equal(p.ci_url, "https://bk.example/b/3");
	scan_all_pieces(ENV("CIRCLE_SHA1=c1\0CIRCLE_BRANCH=feat\0"
			    "CIRCLE_BUILD_URL=https://circle.example/5\0"),
			&p);
	assert_string_equal(p.revision, "c1");
	assert_string_equal(p.ref, "feat");
	assert_string_equal(p.ci_url, "https://circle.example/5");
}

/* DEPLOYFS_REVISION and DEPLOYFS_REF win, before or after the CI's. */
static void test_envscan_deployfs_vars_win(void **state)
{
	struct dfs_provenance p;

	(void)state;
	scan_all_pieces(ENV("GITHUB_SHA=ci\0DEPLOYFS_REVISION=mine\0"
			    "DEPLOYFS_REF=v1.2\0GITHUB_REF=refs/heads/x\0"
			    "DEPLOYFS_NOTE=hotfix for #12\0"),
			&p);
	assert_string_equal(p.revision, "mine");
	assert_string_equal(p.ref, "v1.2");
	assert_string_equal(p.note, "hotfix for #12");
	/* An empty variable is absent: the next source counts. */
	scan_all_pieces(ENV("DEPLOYFS_REVISION=\0GITHUB_SHA=ci\0"), &p);
	assert_string_equal(p.revision, "ci");
}

static void test_envscan_ssh_client(void **state)
{
	struct dfs_provenance p;

	(void)state;
	scan_all_pieces(ENV("SSH_CLIENT=10.0.0.9 5 22\0"
			    "SSH_CONNECTION=192.0.2.7 51234 192.0.2.1 22\0"),
			&p);
	assert_string_equal(p.ssh_client, "192.0.2.7");
	scan_all_pieces(ENV("SSH_CLIENT=2001:db8::1 5 22\0"), &p);
	assert_string_equal(p.ssh_client, "2001:db8::1");
}

/* Names that only look alike, entries without '=', a missing last NUL. */
static void test_envscan_lookalikes(void **state)
{
	struct dfs_provenance p;

	(void)state;
	scan_all_pieces(ENV("XGITHUB_SHA=no\0GITHUB_SHAX=no\0GITHUB_SHA\0"
			    "github_sha=no\0=GITHUB_SHA=no\0GITHUB_SHA=yes"),
			&p);
	assert_string_equal(p.revision, "yes");
	/* No GitHub URL without all three of its parts. */
	scan_all_pieces(ENV("GITHUB_SERVER_URL=https://github.com\0"
			    "GITHUB_RUN_ID=1\0"),
			&p);
	assert_string_equal(p.ci_url, "");
	scan_all_pieces("", 0, &p);
	assert_string_equal(p.revision, "");
	assert_string_equal(p.exe, "/bin/kept");
}

/* Values are bounded, valid UTF-8, and without control characters. */
static void test_envscan_bounds(void **state)
{
	struct dfs_provenance p;
	size_t n = 20000, len;
	char *env = malloc(n + 64);

	(void)state;
	assert_non_null(env);
	len = (size_t)sprintf(env, "DEPLOYFS_NOTE=");
	memset(env + len, 'n', n);
	len += n;
	env[len++] = '\0';
	len += (size_t)sprintf(env + len, "GITHUB_REF=a\nb\xff") + 1;
	scan_all_pieces(env, len, &p);
	assert_int_equal(strlen(p.note), sizeof(p.note) - 1);
	assert_string_equal(p.ref, "a b?");
	free(env);
}

/* This process's own provenance, as /proc shows it. */
static void test_provenance_fill_self(void **state)
{
	const char *orig = getenv("DEPLOYFS_NOTE");
	struct dfs_provenance p;
	char exe[512], want[DFS_PROV_NOTE_MAX] = "";
	ssize_t n;

	(void)state;
	if (orig)
		snprintf(want, sizeof(want), "%s", orig);
	setenv("DEPLOYFS_NOTE", "set after start", 1);
	dfs_provenance_fill(&p, getpid());
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(p.exe, exe);
	/* environ is what the process started with, not setenv's. */
	assert_string_equal(p.note, want);
}

static void test_provenance_fill_gone_process(void **state)
{
	struct dfs_provenance p;
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	memset(&p, 0x5a, sizeof(p));
	dfs_provenance_fill(&p, pid);
	assert_string_equal(p.exe, "");
	assert_string_equal(p.revision, "");
	assert_string_equal(p.note, "");
	dfs_provenance_fill(&p, 0);
	assert_string_equal(p.exe, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_who_fill_self),
		cmocka_unit_test(test_who_fill_unknown_uid),
		cmocka_unit_test(test_who_fill_gone_process),
		cmocka_unit_test(test_who_self_matches_fill),
		cmocka_unit_test(test_envscan_github),
		cmocka_unit_test(test_envscan_gitlab_jenkins_buildkite_circle),
		cmocka_unit_test(test_envscan_deployfs_vars_win),
		cmocka_unit_test(test_envscan_ssh_client),
		cmocka_unit_test(test_envscan_lookalikes),
		cmocka_unit_test(test_envscan_bounds),
		cmocka_unit_test(test_provenance_fill_self),
		cmocka_unit_test(test_provenance_fill_gone_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
