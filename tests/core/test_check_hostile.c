/*
 * test_check_hostile — archives made to hurt whoever unpacks them: device
 * and FIFO entries, setuid and setgid bits, symlinks out of the root,
 * control bytes in names (the manifest), bytes after the end of every
 * format, damaged pax headers, windows over the bound, and bombs against
 * the unpacked limit.
 */
#include <errno.h>
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
#include "testutil.h"

static const struct tu_entry ok = {.path = "app/ok", .type = 'f', .size = 10};

static void assert_failed(const struct dfs_check_result *res, const char *code,
			  const char *in_message)
{
	assert_string_equal(res->error.code, code);
	assert_int_equal(res->error.phase, DFS_PHASE_VALIDATE);
	if (!strstr(res->error.message, in_message))
		fail_msg("message '%s' lacks '%s'", res->error.message,
			 in_message);
}

/* The check of an archive of "app/ok" and @e, with @filter. */
static void check_two(struct tu_fix *fix, const struct tu_entry *e,
		      const char *filter, struct dfs_check_result *res)
{
	struct tu_entry both[2] = {ok, *e};
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(both, 2, filter, &buf, &n);
	tu_check_buf(fix, buf, n, -1, res);
	free(buf);
}

static void test_check_finish_devices_and_fifo(void **state)
{
	static const struct tu_entry e[] = {
		{.path = "app/sda", .type = 'c'},
		{.path = "app/sdb", .type = 'b'},
		{.path = "app/pipe", .type = 'p'},
	};
	struct dfs_check_result res;

	for (size_t i = 0; i < 3; i++) {
		check_two(*state, &e[i], "gzip", &res);
		assert_failed(&res, "unsafe_entry", e[i].path);
		/* Read to the end all the same. */
		assert_int_equal(res.entries, 2);
	}
}

static void test_check_finish_setuid_setgid(void **state)
{
	const struct tu_entry su = {
		.path = "app/su", .type = 'f', .mode = 04755, .size = 3};
	const struct tu_entry sg = {
		.path = "app/dir/", .type = 'd', .mode = 02775};
	struct dfs_check_result res;

	check_two(*state, &su, "none", &res);
	assert_failed(&res, "unsafe_entry", "app/su");
	check_two(*state, &sg, "none", &res);
	assert_failed(&res, "unsafe_entry", "app/dir/");
}

static void test_check_finish_symlink_absolute(void **state)
{
	const struct tu_entry e = {
		.path = "app/passwd", .type = 'l', .link = "/etc/passwd"};
	struct dfs_check_result res;

	check_two(*state, &e, "gzip", &res);
	assert_failed(&res, "unsafe_path", "app/passwd -> /etc/passwd");
}

static void test_check_finish_symlink_climbing(void **state)
{
	static const struct tu_entry e[] = {
		{.path = "app/up", .type = 'l', .link = "../../etc"},
		{.path = "top", .type = 'l', .link = ".."},
		{.path = "./a/b/c", .type = 'l', .link = "x/../../../../y"},
	};
	struct dfs_check_result res;

	for (size_t i = 0; i < 3; i++) {
		check_two(*state, &e[i], "none", &res);
		assert_failed(&res, "unsafe_path", e[i].link);
	}
}

static void test_check_finish_symlink_inside_safe(void **state)
{
	static const struct tu_entry e[] = {
		{.path = "node_modules/pkg/bin/x", .type = 'f', .size = 9},
		{.path = "node_modules/.bin/x",
		 .type = 'l',
		 .link = "../pkg/bin/x"},
		{.path = "./a/b/c", .type = 'l', .link = "../../d/./e"},
		{.path = "a/cur", .type = 'l', .link = "v2/../v1"},
	};
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(e, 4, "gzip", &buf, &n);
	tu_check_buf(*state, buf, n, -1, &res);
	assert_string_equal(res.error.code, "");
	assert_int_equal(res.entries, 4);
	free(buf);
}

/* The manifest's bytes, NUL-terminated; the caller frees them. */
static char *read_manifest(int mfd)
{
	char *buf = calloc(1, 1 << 16);
	ssize_t n;

	assert_non_null(buf);
	n = pread(mfd, buf, (1 << 16) - 1, 0);
	assert_true(n >= 0);
	return buf;
}

static void test_check_finish_manifest_escaped(void **state)
{
	static const struct tu_entry e[] = {
		{.path = "app/two\nlines", .type = 'f', .data = "1"},
		{.path = "app/-rw-r--r-- 0 x\n-rw-r--r-- 0 y",
		 .type = 'f',
		 .data = "2"},
		{.path = "app/tab\there", .type = 'f', .data = "3"},
		{.path = "app/back\\slash", .type = 'f', .data = "4"},
		{.path = "app/bell\x07\x7f\x1b", .type = 'f', .data = "5"},
		{.path = "app/l\nk", .type = 'l', .link = "two\nlines"},
	};
	const char *want = "-rw-r--r-- 1 app/two\\nlines\n"
			   "-rw-r--r-- 1 app/-rw-r--r-- 0 x\\n-rw-r--r-- 0 y\n"
			   "-rw-r--r-- 1 app/tab\\there\n"
			   "-rw-r--r-- 1 app/back\\\\slash\n"
			   "-rw-r--r-- 1 app/bell\\007\\177\\033\n"
			   "lrwxrwxrwx 0 app/l\\nk -> two\\nlines\n";
	struct dfs_check_result res;
	int mfd = tu_file_fd(*state, "manifest", "", 0);
	uint8_t *buf;
	char *got;
	size_t n;

	tu_archive_or_skip(e, 6, "none", &buf, &n);
	tu_check_buf(*state, buf, n, mfd, &res);
	assert_string_equal(res.error.code, "");
	assert_int_equal(res.entries, 6);
	got = read_manifest(mfd);
	assert_string_equal(got, want);
	free(got);
	free(buf);
	close(mfd);
}

static void test_check_finish_message_escaped(void **state)
{
	const struct tu_entry e = {.path = "app/p\nfailed: forged",
				   .type = 'p'};
	struct dfs_check_result res;

	check_two(*state, &e, "none", &res);
	assert_failed(&res, "unsafe_entry", "app/p\\nfailed: forged");
	assert_null(strchr(res.error.message, '\n'));
}

/* @filter's archive of "app/ok" followed by @extra bytes of @byte. */
static void check_after(struct tu_fix *fix, const char *filter, uint8_t byte,
			size_t extra, struct dfs_check_result *res)
{
	uint8_t *buf, *more;
	size_t n;

	tu_archive_or_skip(&ok, 1, filter, &buf, &n);
	more = realloc(buf, n + extra);
	assert_non_null(more);
	memset(more + n, byte, extra);
	tu_check_buf(fix, more, n + extra, -1, res);
	free(more);
}

static const char *const filters[] = {"none", "gzip", "xz", "bzip2", "zstd"};

static void test_check_finish_trailing_garbage(void **state)
{
	struct dfs_check_result res;

	for (size_t i = 0; i < 5; i++) {
		check_after(*state, filters[i], 'G', 7, &res);
		assert_failed(&res, "corrupt_archive", "after the end");
		check_after(*state, filters[i], 0xff, 1, &res);
		assert_failed(&res, "corrupt_archive", "after the end");
	}
}

static void test_check_finish_trailing_zeros_safe(void **state)
{
	struct dfs_check_result res;

	for (size_t i = 0; i < 5; i++) {
		check_after(*state, filters[i], 0, 5000, &res);
		assert_string_equal(res.error.code, "");
		assert_int_equal(res.entries, 1);
	}
}

/* A ustar header of @name, @type, @size, with its checksum. */
static void ustar(uint8_t *h, const char *name, char type, size_t size)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011zo", size);
	memcpy(h + 136, "00000000000", 12);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void test_check_finish_pax_huge(void **state)
{
	size_t big = 2 << 20, n = 512 + big + 512 + 1024;
	uint8_t *buf = calloc(1, n);
	struct dfs_check_result res;

	/* A pax header of 2 MiB: more than any reader should hold. */
	assert_non_null(buf);
	ustar(buf, "PaxHeader", 'x', big);
	snprintf((char *)buf + 512, 32, "%zu comment=", big);
	memset(buf + 512 + strlen((char *)buf + 512), 'A', big - 40);
	ustar(buf + 512 + big, "file", '0', 0);
	tu_check_buf(*state, buf, n, -1, &res);
	assert_string_equal(res.error.code, "corrupt_archive");
	free(buf);
}

static void test_check_finish_pax_malformed(void **state)
{
	const char *body = "999 path=zzz\n";
	uint8_t buf[512 * 5] = {0};
	struct dfs_check_result res;

	ustar(buf, "PaxHeader", 'x', strlen(body));
	memcpy(buf + 512, body, strlen(body));
	ustar(buf + 1024, "file", '0', 0);
	tu_check_buf(*state, buf, sizeof(buf), -1, &res);
	assert_string_equal(res.error.code, "corrupt_archive");
}

static void test_check_finish_utf8_name_safe(void **state)
{
	/* "NN path=...\n" with NN the record's own length. */
	const char *rec = "22 path=app/caf\xc3\xa9.txt\n";
	uint8_t buf[512 * 6] = {0};
	struct dfs_check_result res;
	int mfd = tu_file_fd(*state, "manifest", "", 0);
	char *got;

	/* pax keeps the name in UTF-8, which the C locale cannot show. */
	assert_int_equal(strlen(rec), 22);
	ustar(buf, "PaxHeader", 'x', strlen(rec));
	memcpy(buf + 512, rec, strlen(rec));
	ustar(buf + 1024, "cafe.txt", '0', 1);
	buf[1536] = 'x';
	tu_check_buf(*state, buf, sizeof(buf), mfd, &res);
	assert_string_equal(res.error.code, "");
	got = read_manifest(mfd);
	assert_string_equal(got, "-rw-r--r-- 1 app/caf\xc3\xa9.txt\n");
	free(got);
	close(mfd);
}

static void test_check_finish_xz_window_too_large(void **state)
{
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;
	int rc;

	/* xz -9: a 64 MiB dictionary, over the bound. */
	rc = tu_archive_opt(&ok, 1, "xz", "xz:compression-level=9", &buf, &n);
	if (rc == 1)
		skip();
	assert_int_equal(rc, 0);
	tu_check_buf(*state, buf, n, -1, &res);
	assert_failed(&res, "too_large", "xz");
	free(buf);
	/* xz -8: 32 MiB, within it. */
	assert_int_equal(tu_archive_opt(&ok, 1, "xz", "xz:compression-level=8",
					&buf, &n),
			 0);
	tu_check_buf(*state, buf, n, -1, &res);
	assert_string_equal(res.error.code, "");
	free(buf);
}

/* A zstd frame of @n raw bytes whose header asks for a 2^@wlog window. */
static size_t zstd_raw(const uint8_t *data, size_t n, unsigned wlog,
		       uint8_t *out)
{
	size_t len = 0;

	memcpy(out, "\x28\xb5\x2f\xfd", 4);
	out[4] = 0; /* no content size, no checksum, not single segment */
	out[5] = (uint8_t)((wlog - 10) << 3);
	len = 6;
	for (size_t off = 0; off < n; off += 65536) {
		size_t k = n - off < 65536 ? n - off : 65536;
		uint32_t bh = (uint32_t)(k << 3) | (off + k == n);

		out[len++] = (uint8_t)bh;
		out[len++] = (uint8_t)(bh >> 8);
		out[len++] = (uint8_t)(bh >> 16);
		memcpy(out + len, data + off, k);
		len += k;
	}
	return len;
}

static void test_check_finish_zstd_window_too_large(void **state)
{
	struct dfs_check_result res;
	uint8_t *tar, *z;
	size_t n, len;

	tu_archive_or_skip(&ok, 1, "none", &tar, &n);
	z = malloc(n + 64);
	assert_non_null(z);
	len = zstd_raw(tar, n, 31, z); /* --long=31 */
	tu_check_buf(*state, z, len, -1, &res);
	assert_failed(&res, "too_large", "zstd");
	len = zstd_raw(tar, n, 25, z); /* 32 MiB: within the bound */
	tu_check_buf(*state, z, len, -1, &res);
	assert_string_equal(res.error.code, "");
	assert_string_equal(res.format, "tar+zstd");
	free(z);
	free(tar);
}

/* The check of @n bytes of @buf with the limit @max. */
static void check_limited(struct tu_fix *fix, const uint8_t *buf, size_t n,
			  uint64_t max, struct dfs_check_result *res)
{
	struct dfs_check *c = NULL;
	int fd = tu_file_fd(fix, "payload", buf, n);

	assert_int_equal(dfs_check_start(fd, -1, max, &c), 0);
	assert_int_equal(dfs_check_finish(c, n, res), 0);
	close(fd);
}

static void test_check_finish_max_unpacked(void **state)
{
	const struct tu_entry zeros = {
		.path = "zeros.bin", .type = 'f', .size = 4 << 20};
	uint8_t *tar, *gz;
	struct dfs_check_result res;
	size_t n, len;

	/* 4 MiB of zeros in a few KiB: a small bomb. */
	tu_archive_or_skip(&zeros, 1, "none", &tar, &n);
	memset(tar + 512, 0, 4 << 20);
	assert_int_equal(tu_gzip_raw(tar, n, &gz, &len), 0);
	assert_true(len < 64 * 1024);
	check_limited(*state, gz, len, 1 << 20, &res);
	assert_failed(&res, "too_large", "max_unpacked");
	/* Bare zeros (an empty tar and padding): decompressing finds it. */
	memset(tar, 0, n);
	free(gz);
	assert_int_equal(tu_gzip_raw(tar, n, &gz, &len), 0);
	check_limited(*state, gz, len, 1 << 20, &res);
	assert_failed(&res, "too_large", "decompressed");
	/* The default limit is at least 1 GiB. */
	check_limited(*state, gz, len, 0, &res);
	assert_string_equal(res.error.code, "");
	check_limited(*state, gz, len, 5 << 20, &res);
	assert_string_equal(res.error.code, "");
	free(gz);
	free(tar);
}

static void test_check_advance_default_limit_waits(void **state)
{
	uint8_t buf[512 * 8] = {0};
	struct dfs_check_result res;
	struct dfs_check *c = NULL;
	int fd = tu_file_fd(*state, "payload", "", 0);

	/*
	 * A header declaring 1.5 GiB: over the default limit of a payload
	 * this small, but the payload might still grow, so the check waits
	 * for its end rather than fail early; then it is too large.
	 */
	ustar(buf, "big.bin", '0', 3ULL << 29);
	assert_int_equal(dfs_check_start(fd, -1, 0, &c), 0);
	assert_int_equal(pwrite(fd, buf, sizeof(buf), 0), sizeof(buf));
	dfs_check_advance(c, sizeof(buf));
	assert_int_equal(dfs_check_finish(c, sizeof(buf), &res), 0);
	assert_failed(&res, "too_large", "100 times the payload");
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_finish_devices_and_fifo),
		T(test_check_finish_setuid_setgid),
		T(test_check_finish_symlink_absolute),
		T(test_check_finish_symlink_climbing),
		T(test_check_finish_symlink_inside_safe),
		T(test_check_finish_manifest_escaped),
		T(test_check_finish_message_escaped),
		T(test_check_finish_trailing_garbage),
		T(test_check_finish_trailing_zeros_safe),
		T(test_check_finish_pax_huge),
		T(test_check_finish_pax_malformed),
		T(test_check_finish_utf8_name_safe),
		T(test_check_finish_xz_window_too_large),
		T(test_check_finish_zstd_window_too_large),
		T(test_check_finish_max_unpacked),
		T(test_check_advance_default_limit_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
