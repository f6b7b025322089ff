/*
 * test_check_manifest — what the full check records besides its verdict:
 * the manifest (one line per entry, as `tar tvf` shows them without owner
 * and date) and the package_identifier of a package.json at the top of
 * the archive or under one top folder.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "check.h"
#include "deploy.h"
#include "log.h"
#include "testutil.h"

/* The package_identifier of an archive of @e. */
static void check_package(struct tu_fix *fix, const struct tu_entry *e,
			  size_t n, const char *want)
{
	struct dfs_check_result res;
	uint8_t *buf;
	size_t len;

	tu_archive_or_skip(e, n, "gzip", &buf, &len);
	tu_check_buf(fix, buf, len, -1, &res);
	assert_string_equal(res.error.code, "");
	assert_string_equal(res.package, want);
	free(buf);
}

#define PKG_A "{\"name\":\"a\",\"version\":\"1.0.0\"}"
#define PKG_B "{\"name\": \"b\", \"version\": \"2.0.0\", \"main\": \"x.js\"}"

static void test_check_finish_package_top(void **state)
{
	const struct tu_entry e[] = {
		{.path = "index.js", .type = 'f', .data = "exports.a = 1;\n"},
		{.path = "package.json", .type = 'f', .data = PKG_A},
	};

	check_package(*state, e, 2, "a@1.0.0");
}

static void test_check_finish_package_npm(void **state)
{
	/* npm pack: everything under package/. */
	const struct tu_entry e[] = {
		{.path = "package/package.json", .type = 'f', .data = PKG_A},
		{.path = "package/index.js", .type = 'f', .data = "1;\n"},
		{.path = "package/node_modules/b/package.json",
		 .type = 'f',
		 .data = PKG_B},
	};

	check_package(*state, e, 3, "a@1.0.0");
}

static void test_check_finish_package_dot_slash(void **state)
{
	/* tar czf x.tgz . */
	const struct tu_entry e[] = {
		{.path = "./", .type = 'd'},
		{.path = "./package.json", .type = 'f', .data = PKG_A},
	};

	check_package(*state, e, 2, "a@1.0.0");
}

static void test_check_finish_package_top_wins(void **state)
{
	const struct tu_entry e[] = {
		{.path = "sub/package.json", .type = 'f', .data = PKG_B},
		{.path = "package.json", .type = 'f', .data = PKG_A},
		{.path = "other/package.json", .type = 'f', .data = PKG_B},
	};

	check_package(*state, e, 3, "a@1.0.0");
}

static void test_check_finish_package_deeper_ignored(void **state)
{
	const struct tu_entry e[] = {
		{.path = "app/lib/package.json", .type = 'f', .data = PKG_A},
		{.path = "app/node_modules/b/package.json",
		 .type = 'f',
		 .data = PKG_B},
		{.path = "package.json", .type = 'd'},
	};

	check_package(*state, e, 3, "");
}

static void test_check_finish_package_incomplete(void **state)
{
	const struct tu_entry e[] = {
		{.path = "package.json",
		 .type = 'f',
		 .data = "{\"name\":\"a\"}"},
	};
	const struct tu_entry bad[] = {
		{.path = "package.json",
		 .type = 'f',
		 .data = "{\"name\": \"a\","},
	};

	check_package(*state, e, 1, "");
	check_package(*state, bad, 1, "");
}

/* All of file @path; malloc'd and NUL-terminated. */
static char *slurp(const char *path)
{
	char *buf = malloc(65536);
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_non_null(buf);
	assert_true(fd >= 0);
	n = read(fd, buf, 65535);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static const struct tu_entry listed[] = {
	{.path = "app/", .type = 'd'},
	{.path = "app/README", .type = 'f', .data = "hello\n"},
	{.path = "app/run.sh",
	 .type = 'f',
	 .mode = 0755,
	 .data = "#!/bin/sh\n"},
	{.path = "app/big.bin", .type = 'f', .mode = 0600, .size = 123456},
	{.path = "app/link", .type = 'l', .link = "README"},
	{.path = "app/hard", .type = 'h', .link = "app/README"},
};

static const char want_listed[] = "drwxr-xr-x 0 app/\n"
				  "-rw-r--r-- 6 app/README\n"
				  "-rwxr-xr-x 10 app/run.sh\n"
				  "-rw------- 123456 app/big.bin\n"
				  "lrwxrwxrwx 0 app/link -> README\n"
				  "hrw-r--r-- 0 app/hard link to app/README\n";

/* Check @buf, an archive of @listed, with a manifest file: its path. */
static void manifest_of(struct tu_fix *fix, const uint8_t *buf, size_t n,
			char path[PATH_MAX])
{
	struct dfs_check_result res;
	int mfd;

	tu_path(path, "%s/manifest", fix->base);
	mfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	assert_true(mfd >= 0);
	tu_check_buf(fix, buf, n, mfd, &res);
	close(mfd);
	assert_string_equal(res.error.code, "");
	assert_int_equal(res.entries, 6);
	assert_int_equal(res.unpacked_size, 6 + 10 + 123456);
}

static void test_check_finish_manifest(void **state)
{
	char path[PATH_MAX], *got;
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(listed, 6, "gzip", &buf, &n);
	manifest_of(*state, buf, n, path);
	got = slurp(path);
	assert_string_equal(got, want_listed);
	free(got);
	free(buf);
}

/* `tar tvf`'s line without owner and date: "mode size name". */
static void tvf_line(char *line, char *out, size_t size)
{
	char mode[32], owner[64], day[32], hm[32];
	unsigned long long bytes;
	int name = 0;

	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(sscanf(line, "%31s %63s %llu %31s %31s %n", mode,
				owner, &bytes, day, hm, &name),
			 5);
	snprintf(out, size, "%s %llu %s\n", mode, bytes, line + name);
}

static void test_check_finish_manifest_matches_tar_tvf(void **state)
{
	struct tu_fix *fix = *state;
	char path[PATH_MAX], cmd[PATH_MAX + 64], line[1024], want[4096] = "";
	char *got;
	uint8_t *buf;
	size_t n;
	FILE *p;

	if (system("tar --version >/dev/null 2>&1") != 0)
		skip();
	tu_archive_or_skip(listed, 6, "gzip", &buf, &n);
	manifest_of(fix, buf, n, path);
	tu_path(cmd, "LC_ALL=C tar tvzf %s/payload", fix->base);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		tvf_line(line, want + strlen(want),
			 sizeof(want) - strlen(want));
	assert_int_equal(pclose(p), 0);
	got = slurp(path);
	assert_string_equal(got, want);
	free(got);
	free(buf);
}

/* Deploy @buf in pieces of @piece bytes, first to last or backwards. */
static void deploy_pieces(struct tu_fix *fix, const uint8_t *buf, size_t n,
			  size_t piece, bool backwards, struct dfs_record *rec)
{
	struct dfs_project_attr attr;
	struct dfs_deploy *d = NULL;
	struct dfs_who who;
	size_t k = (n + piece - 1) / piece;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, "web", &who, &attr, &d),
		0);
	for (size_t i = 0; i < k; i++) {
		size_t off = (backwards ? k - 1 - i : i) * piece;
		size_t len = n - off < piece ? n - off : piece;

		assert_int_equal(
			dfs_deploy_write(d, DFS_SRC_MEM(buf + off, len), off),
			0);
	}
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), 0);
	*rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);
}

/* STORE/manifests/<id> through dfs_log_open; malloc'd. */
static char *stored_manifest(struct tu_fix *fix, const uint8_t id[16])
{
	char *buf = malloc(65536);
	ssize_t n;
	int fd = -1;

	assert_non_null(buf);
	assert_int_equal(dfs_log_open(fix->st, DFS_MANIFEST, id, false, &fd),
			 0);
	n = read(fd, buf, 65535);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void test_deploy_commit_manifest_in_store(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	uint8_t *buf;
	size_t n;
	char *got;

	/* In order: the check trails the writes. */
	tu_archive_or_skip(listed, 6, "gzip", &buf, &n);
	deploy_pieces(fix, buf, n, 4096, false, &rec);
	assert_true(rec.checked);
	assert_string_equal(rec.payload_format, "tar+gzip");
	assert_int_equal(rec.entries, 6);
	assert_int_equal(rec.unpacked_size, 6 + 10 + 123456);
	got = stored_manifest(fix, rec.id);
	assert_string_equal(got, want_listed);
	free(got);
	free(buf);
}

static void test_deploy_commit_manifest_out_of_order(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	uint8_t *buf;
	size_t n;
	char *got;

	/* Backwards: the check starts over at commit, the manifest too. */
	tu_archive_or_skip(listed, 6, "gzip", &buf, &n);
	deploy_pieces(fix, buf, n, 4096, true, &rec);
	assert_int_equal(rec.entries, 6);
	got = stored_manifest(fix, rec.id);
	assert_string_equal(got, want_listed);
	free(got);
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_teardown)
#define S(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_finish_package_top),
		T(test_check_finish_package_npm),
		T(test_check_finish_package_dot_slash),
		T(test_check_finish_package_top_wins),
		T(test_check_finish_package_deeper_ignored),
		T(test_check_finish_package_incomplete),
		T(test_check_finish_manifest),
		T(test_check_finish_manifest_matches_tar_tvf),
		S(test_deploy_commit_manifest_in_store),
		S(test_deploy_commit_manifest_out_of_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
