/*
 * test_hook — hooks run after a deploy is stored and checked, with real
 * shell scripts in the test's directory: the outcome in the record, the
 * environment and stdin, the log, per-project overrides, timeouts that
 * kill the process group, hooks left running in the background, and
 * hooks interrupted by dfs_hooks_free.
 *
 * Scripts find the test's directory as "$DEPLOYFS_STORE/..".
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "deploy.h"
#include "hook.h"
#include "isotime.h"
#include "log.h"
#include "testutil.h"
#include "uuid7.h"

#define OUT "\"$DEPLOYFS_STORE/..\""

static int hook_teardown(void **state)
{
	struct tu_fix *fix = *state;

	if (fix && fix->extra) {
		dfs_hooks_free(fix->extra);
		fix->extra = NULL;
	}
	return tu_teardown(state);
}

/* The script "#!/bin/sh\n@body" as @path (mode 0755 unless @mode). */
static void script(const char *path, const char *body, mode_t mode)
{
	char text[4096];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	assert_int_equal(tu_write_file(path, text, strlen(text)), 0);
	assert_int_equal(chmod(path, mode ? mode : 0755), 0);
}

/* A hook script in the test's directory, attached to the store. */
static struct dfs_hooks *hooks(struct tu_fix *fix, const char *body,
			       unsigned timeout_s, bool wait)
{
	struct dfs_hooks_conf conf = {.timeout_s = timeout_s, .wait = wait};
	struct dfs_hooks *h = NULL;
	char path[PATH_MAX];

	if (body) {
		tu_path(path, "%s/hook.sh", fix->base);
		script(path, body, 0);
		conf.path = path;
	}
	assert_int_equal(dfs_hooks_new(fix->st, &conf, &h), 0);
	fix->conf.hooks = h;
	assert_non_null(h);
	fix->extra = h;
	return h;
}

/* STORE/hooks/@project, the per-project hook. */
static void project_hook(struct tu_fix *fix, const char *project,
			 const char *body, mode_t mode)
{
	char path[PATH_MAX];

	tu_path(path, "%s/hooks", fix->dir);
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
	tu_path(path, "%s/hooks/%s", fix->dir, project);
	script(path, body, mode);
}

/* A file in the test's directory: its contents (NUL-terminated), size. */
static char *slurp(struct tu_fix *fix, const char *name, size_t *len)
{
	char path[PATH_MAX];
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ssize_t got;
	int fd;

	assert_non_null(buf);
	tu_path(path, "%s/%s", fix->base, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	while ((got = read(fd, buf + n, cap - n - 1)) > 0)
		n += (size_t)got;
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static bool exists(struct tu_fix *fix, const char *name)
{
	char path[PATH_MAX];

	tu_path(path, "%s/%s", fix->base, name);
	return access(path, F_OK) == 0;
}

static void touch(struct tu_fix *fix, const char *name)
{
	char path[PATH_MAX];

	tu_path(path, "%s/%s", fix->base, name);
	assert_int_equal(tu_write_file(path, "", 0), 0);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * Deploy @n bytes of @buf to @project (the project's attr becomes uid 7);
 * the commit's result, the record as stored into @rec.
 */
static int deploy(struct tu_fix *fix, const char *project, const uint8_t *buf,
		  size_t n, struct dfs_record *rec)
{
	struct dfs_project_attr attr = {.uid = 7, .gid = 8, .mode = 0640};
	struct dfs_deploy *d = NULL;
	struct dfs_who who;
	uint8_t id[16];
	int rc;

	tu_who(&who);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, project, &who, &attr, &d),
		0);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, n), 0), 0);
	rc = dfs_deploy_commit(d, NULL, &attr);
	memcpy(id, dfs_deploy_record(d)->id, 16);
	dfs_deploy_free(d);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, rec),
			 0);
	return rc;
}

/* deploy() of a fresh tar.gz. */
static int deploy_targz(struct tu_fix *fix, const char *project, uint32_t seed,
			struct dfs_record *rec)
{
	uint8_t *buf;
	size_t n;
	int rc;

	assert_int_equal(tu_targz(20000, seed, &buf, &n), 0);
	rc = deploy(fix, project, buf, n, rec);
	free(buf);
	return rc;
}

/* Wait up to @ms for @rec's deployment to leave pending. */
static void wait_settled(struct tu_fix *fix, struct dfs_record *rec, int ms)
{
	int64_t end = mono_ms() + ms;

	while (rec->status == DFS_STATUS_PENDING && mono_ms() < end) {
		pause_ms(20);
		assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st),
						 rec->id, rec),
				 0);
	}
	assert_int_not_equal(rec->status, DFS_STATUS_PENDING);
}

static void assert_current(struct tu_fix *fix, const char *project,
			   const struct dfs_record *rec)
{
	struct dfs_project p;

	assert_int_equal(dfs_catalog_project_get(dfs_store_catalog(fix->st),
						 project, &p),
			 0);
	assert_true(p.has_current);
	assert_memory_equal(p.current, rec->id, 16);
}

static void test_hooks_start_wait_success(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_project p;

	hooks(fix, "echo unpacking; exit 0", 0, true);
	assert_int_equal(deploy_targz(fix, "web", 1, &rec), 0);
	assert_int_equal(rec.status, DFS_STATUS_SUCCESS);
	assert_int_equal(rec.phase, DFS_PHASE_DONE);
	assert_string_equal(rec.error.code, "");
	assert_true(rec.completed_ms != DFS_TIME_NONE);
	assert_true(rec.checked);
	assert_current(fix, "web", &rec);
	/* The writer's attr is applied once the hook succeeded. */
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(p.uid, 7);
	assert_int_equal(p.mode & 07777, 0640);
}

static void test_hooks_start_wait_deploy_record(void **state)
{
	struct dfs_project_attr attr = {.uid = 7, .gid = 8, .mode = 0640};
	struct tu_fix *fix = *state;
	struct dfs_deploy *d = NULL;
	struct dfs_record mine, back;
	struct dfs_who who;
	uint8_t *buf;
	size_t n;

	/* deploy.h: dfs_deploy_record is "the record as last stored". */
	hooks(fix, "exit 0", 0, true);
	assert_int_equal(tu_targz(20000, 2, &buf, &n), 0);
	tu_who(&who);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, "web", &who, &attr, &d),
		0);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, n), 0), 0);
	free(buf);
	assert_int_equal(dfs_deploy_commit(d, NULL, &attr), 0);
	assert_int_equal(dfs_deploy_commit(d, NULL, &attr), 0);
	mine = *dfs_deploy_record(d);
	dfs_deploy_free(d);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), mine.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_int_equal(mine.status, back.status);
	assert_int_equal(mine.phase, back.phase);
}

static void test_hooks_start_wait_failure(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record good, bad;

	hooks(fix,
	      "[ -e " OUT "/fail ] || exit 0\n"
	      "echo step one; echo step two\n"
	      "echo cannot restart web >&2\n"
	      "exit 3",
	      0, true);
	assert_int_equal(deploy_targz(fix, "web", 3, &good), 0);
	touch(fix, "fail");
	assert_int_equal(deploy_targz(fix, "web", 4, &bad), -ECANCELED);
	assert_int_equal(bad.status, DFS_STATUS_FAILED);
	assert_int_equal(bad.phase, DFS_PHASE_DONE);
	assert_string_equal(bad.error.code, "hook_failed");
	assert_int_equal(bad.error.phase, DFS_PHASE_HOOK);
	assert_non_null(strstr(bad.error.message, "cannot restart web"));
	assert_true(bad.completed_ms != DFS_TIME_NONE);
	assert_current(fix, "web", &good);
}

/* @pid is dead: gone, or a zombie left for init to reap. */
static bool gone(pid_t pid)
{
	char path[64], stat[256];
	int64_t end = mono_ms() + 3000;
	FILE *f;

	do {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (f) {
			char *s = fgets(stat, sizeof(stat), f);

			fclose(f);
			s = s ? strrchr(stat, ')') : NULL;
			if (s && s[1] == ' ' && s[2] == 'Z')
				return true;
		}
		pause_ms(20);
	} while (mono_ms() < end);
	return false;
}

static void test_hooks_start_wait_timeout(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	pid_t hook, child;
	int64_t t0;
	char *s;

	hooks(fix,
	      "echo $$ > " OUT "/hook.pid\n"
	      "sleep 30 &\n"
	      "echo $! > " OUT "/child.pid\n"
	      "echo still working\n"
	      "wait",
	      1, true);
	t0 = mono_ms();
	assert_int_equal(deploy_targz(fix, "web", 5, &rec), -ETIMEDOUT);
	assert_true(mono_ms() - t0 < 10000);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "hook_timeout");
	assert_int_equal(rec.error.phase, DFS_PHASE_HOOK);
	assert_non_null(strstr(rec.error.message, "still working"));

	s = slurp(fix, "hook.pid", NULL);
	hook = (pid_t)atoi(s);
	free(s);
	s = slurp(fix, "child.pid", NULL);
	child = (pid_t)atoi(s);
	free(s);
	assert_true(hook > 1 && child > 1);
	/* The hook led its own group; all of it was killed. */
	assert_true(gone(hook));
	assert_true(gone(child));
}

/* The value of @name in `env` output @env into @out, or NULL. */
static const char *env_value(const char *env, const char *name, char *out,
			     size_t size)
{
	size_t len = strlen(name), found = 0;
	const char *line = env;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (n > len && strncmp(line, name, len) == 0 &&
		    line[len] == '=') {
			snprintf(out, size, "%.*s", (int)(n - len - 1),
				 line + len + 1);
			found++;
		}
		line += n + (end ? 1 : 0);
	}
	assert_true(found <= 1);
	return found ? out : NULL;
}

static void test_hooks_start_environment(void **state)
{
	struct tu_fix *fix = *state;
	char value[PATH_MAX], want[PATH_MAX], *env, *in, *copy;
	uint8_t *buf, hash[32];
	struct dfs_record rec;
	struct stat sb;
	size_t n, len;

	/* Stale values from the daemon's own environment are replaced. */
	setenv("DEPLOYFS_SHA256", "stale", 1);
	hooks(fix,
	      "env > " OUT "/env\n"
	      "cat > " OUT "/stdin\n"
	      "cat \"$DEPLOYFS_PAYLOAD\" > " OUT "/payload",
	      0, true);
	assert_int_equal(tu_targz(50000, 6, &buf, &n), 0);
	tu_sha256(buf, n, hash);
	assert_int_equal(deploy(fix, "web", buf, n, &rec), 0);
	unsetenv("DEPLOYFS_SHA256");

	env = slurp(fix, "env", NULL);
	dfs_uuid7_format(rec.id, want);
	assert_string_equal(env_value(env, "DEPLOYFS_ID", value, sizeof(value)),
			    want);
	assert_string_equal(
		env_value(env, "DEPLOYFS_PROJECT", value, sizeof(value)),
		"web");
	dfs_hash_hex(hash, want);
	assert_string_equal(
		env_value(env, "DEPLOYFS_SHA256", value, sizeof(value)), want);
	assert_string_equal(
		env_value(env, "DEPLOYFS_STORE", value, sizeof(value)),
		fix->dir);
	assert_non_null(
		env_value(env, "DEPLOYFS_PAYLOAD", value, sizeof(value)));
	/* The payload's path is read-only: its blob file. */
	assert_int_equal(stat(value, &sb), 0);
	assert_int_equal(sb.st_mode & 0222, 0);

	copy = slurp(fix, "payload", &len);
	assert_int_equal(len, n);
	assert_memory_equal(copy, buf, n);
	in = slurp(fix, "stdin", &len);
	assert_int_equal(len, n);
	assert_memory_equal(in, buf, n);
	free(in);
	free(copy);
	free(env);
	free(buf);
}

static void test_hooks_start_output_in_log(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	char buf[8192];
	ssize_t n;
	int fd = -1;

	hooks(fix, "echo first line; echo second line >&2; exit 0", 0, true);
	assert_int_equal(deploy_targz(fix, "web", 7, &rec), 0);
	assert_int_equal(dfs_log_open(fix->st, DFS_LOG, rec.id, false, &fd), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "check passed"));
	assert_non_null(strstr(buf, "first line\n"));
	assert_non_null(strstr(buf, "second line\n"));
	assert_true(strstr(buf, "check passed") < strstr(buf, "first line"));
}

static void test_hooks_find_project_override(void **state)
{
	struct tu_fix *fix = *state;
	char path[PATH_MAX], want[PATH_MAX];
	struct dfs_record web, api;
	struct dfs_hooks *h;

	h = hooks(fix, "touch " OUT "/store-wide; exit 3", 0, true);
	project_hook(fix, "web", "touch " OUT "/per-project; exit 0", 0);
	assert_true(dfs_hooks_find(h, "web", path, sizeof(path)));
	tu_path(want, "%s/hooks/web", fix->dir);
	assert_string_equal(path, want);
	assert_true(dfs_hooks_find(h, "api", path, sizeof(path)));
	tu_path(want, "%s/hook.sh", fix->base);
	assert_string_equal(path, want);

	assert_int_equal(deploy_targz(fix, "web", 8, &web), 0);
	assert_int_equal(web.status, DFS_STATUS_SUCCESS);
	assert_true(exists(fix, "per-project"));
	assert_false(exists(fix, "store-wide"));
	assert_int_equal(deploy_targz(fix, "api", 9, &api), -ECANCELED);
	assert_true(exists(fix, "store-wide"));
}

static void test_hooks_find_not_executable(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	char path[PATH_MAX];
	struct dfs_hooks *h;

	/* No store-wide hook, and a per-project file that is not a program. */
	h = hooks(fix, NULL, 0, true);
	project_hook(fix, "web", "exit 3", 0644);
	assert_false(dfs_hooks_find(h, "web", path, sizeof(path)));
	assert_false(dfs_hooks_find(h, "api", path, sizeof(path)));
	assert_int_equal(deploy_targz(fix, "web", 10, &rec), 0);
	assert_int_equal(rec.status, DFS_STATUS_SUCCESS);
	assert_int_equal(rec.phase, DFS_PHASE_DONE);
}

static void test_hooks_start_missing_program(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_hooks_conf conf = {.path = "/nonexistent/deployfs-hook",
				      .wait = true};
	struct dfs_hooks *h = NULL;
	struct dfs_record rec;

	assert_int_equal(dfs_hooks_new(fix->st, &conf, &h), 0);
	fix->conf.hooks = h;
	fix->extra = h;
	assert_int_equal(deploy_targz(fix, "web", 11, &rec), -ECANCELED);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "hook_failed");
}

static void test_hooks_start_not_after_bad_check(void **state)
{
	const char *text = "not a tarball\n";
	struct tu_fix *fix = *state;
	struct dfs_record rec;

	hooks(fix, "touch " OUT "/ran", 0, true);
	assert_int_equal(
		deploy(fix, "web", (const uint8_t *)text, strlen(text), &rec),
		-EBADMSG);
	assert_string_equal(rec.error.code, "not_an_archive");
	assert_false(exists(fix, "ran"));
}

#define WAIT_GO                                                                \
	"i=0\n"                                                                \
	"while [ ! -e " OUT "/go ] && [ $i -lt 400 ]; do\n"                    \
	"  sleep 0.05; i=$((i + 1))\n"                                         \
	"done\n"

static void test_hooks_start_background(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_project p;
	int64_t t0;

	hooks(fix, WAIT_GO "echo done; exit 0", 0, false);
	t0 = mono_ms();
	assert_int_equal(deploy_targz(fix, "web", 12, &rec), 0);
	assert_true(mono_ms() - t0 < 5000);
	assert_int_equal(rec.status, DFS_STATUS_PENDING);
	assert_int_equal(rec.phase, DFS_PHASE_HOOK);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "pending"),
			 1);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_false(p.has_current);

	touch(fix, "go");
	wait_settled(fix, &rec, 15000);
	assert_int_equal(rec.status, DFS_STATUS_SUCCESS);
	assert_int_equal(rec.phase, DFS_PHASE_DONE);
	assert_current(fix, "web", &rec);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(p.uid, 7);
}

static void test_hooks_start_background_failure(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;

	hooks(fix, "echo it broke; exit 3", 0, false);
	assert_int_equal(deploy_targz(fix, "web", 13, &rec), 0);
	wait_settled(fix, &rec, 15000);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "hook_failed");
	assert_non_null(strstr(rec.error.message, "it broke"));
}

static void test_hooks_free_interrupts(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_hooks *h;
	int64_t t0;
	char *s;
	pid_t pid;

	h = hooks(fix,
		  "echo $$ > " OUT "/hook.tmp\n"
		  "mv " OUT "/hook.tmp " OUT "/hook.pid\n"
		  "sleep 30",
		  0, false);
	assert_int_equal(deploy_targz(fix, "web", 14, &rec), 0);
	t0 = mono_ms();
	while (!exists(fix, "hook.pid") && mono_ms() - t0 < 10000)
		pause_ms(20);
	assert_true(exists(fix, "hook.pid"));
	s = slurp(fix, "hook.pid", NULL);
	pid = (pid_t)atoi(s);
	free(s);

	t0 = mono_ms();
	dfs_hooks_free(h);
	fix->extra = NULL;
	assert_true(mono_ms() - t0 < 10000);
	fix->conf.hooks = NULL;
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &rec), 0);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "interrupted");
	assert_true(pid > 1 && gone(pid));
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, hook_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hooks_start_wait_success),
		T(test_hooks_start_wait_deploy_record),
		T(test_hooks_start_wait_failure),
		T(test_hooks_start_wait_timeout),
		T(test_hooks_start_environment),
		T(test_hooks_start_output_in_log),
		T(test_hooks_find_project_override),
		T(test_hooks_find_not_executable),
		T(test_hooks_start_missing_program),
		T(test_hooks_start_not_after_bad_check),
		T(test_hooks_start_background),
		T(test_hooks_start_background_failure),
		T(test_hooks_free_interrupts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
