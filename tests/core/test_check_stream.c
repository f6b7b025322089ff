/*
 * test_check_stream — the full archive check over files built by
 * libarchive's writer: formats, entries and sizes, the hash against
 * OpenSSL's, truncation, corruption, unsafe paths, non-archives, and the
 * streaming contract (advance, finish, cancel).
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "check.h"
#include "testutil.h"

/* A directory, a big incompressible file, a small one and a symlink. */
static const struct tu_entry app[] = {
	{.path = "app/", .type = 'd'},
	{.path = "app/big.bin", .type = 'f', .size = 200000, .seed = 1},
	{.path = "app/README", .type = 'f', .data = "hello\n"},
	{.path = "app/link", .type = 'l', .link = "README"},
};
#define APP_N	     4
#define APP_UNPACKED (200000 + 6)

/* Every byte is hashed, whatever the verdict. */
static void assert_hash(const struct dfs_check_result *res, const void *buf,
			size_t n)
{
	uint8_t want[32];

	tu_sha256(buf, n, want);
	assert_memory_equal(res->hash, want, 32);
	assert_int_equal(res->size, n);
}

static void assert_failed(const struct dfs_check_result *res, const char *code)
{
	assert_string_equal(res->error.code, code);
	assert_int_equal(res->error.phase, DFS_PHASE_VALIDATE);
	assert_true(strlen(res->error.message) > 0);
}

static void check_format(struct tu_fix *fix, const char *filter,
			 const char *format)
{
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(app, APP_N, filter, &buf, &n);
	tu_check_buf(fix, buf, n, -1, &res);
	assert_string_equal(res.error.code, "");
	assert_string_equal(res.format, format);
	assert_int_equal(res.entries, APP_N);
	assert_int_equal(res.unpacked_size, APP_UNPACKED);
	assert_string_equal(res.package, "");
	assert_hash(&res, buf, n);
	free(buf);
}

static void test_check_finish_tar(void **state)
{
	check_format(*state, "none", "tar");
}

static void test_check_finish_tar_gzip(void **state)
{
	check_format(*state, "gzip", "tar+gzip");
}

static void test_check_finish_tar_xz(void **state)
{
	check_format(*state, "xz", "tar+xz");
}

static void test_check_finish_tar_bzip2(void **state)
{
	check_format(*state, "bzip2", "tar+bzip2");
}

static void test_check_finish_tar_zstd(void **state)
{
	check_format(*state, "zstd", "tar+zstd");
}

/* @filter's archive without its last @cut bytes (0: half of it). */
static void check_cut(struct tu_fix *fix, const char *filter, size_t cut,
		      const char *code)
{
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(app, APP_N, filter, &buf, &n);
	n -= cut ? cut : n / 2;
	tu_check_buf(fix, buf, n, -1, &res);
	assert_failed(&res, code);
	assert_hash(&res, buf, n);
	free(buf);
}

static void test_check_finish_cut_one_byte(void **state)
{
	check_cut(*state, "gzip", 1, "truncated_archive");
}

static void test_check_finish_cut_10k(void **state)
{
	check_cut(*state, "gzip", 10240, "truncated_archive");
}

static void test_check_finish_cut_half(void **state)
{
	check_cut(*state, "gzip", 0, "truncated_archive");
}

static void test_check_finish_cut_tar(void **state)
{
	/* Half way through big.bin's data. */
	check_cut(*state, "none", 0, "truncated_archive");
}

static void test_check_finish_cut_other_formats(void **state)
{
	static const char *const filters[] = {"xz", "bzip2", "zstd"};

	for (size_t i = 0; i < 3; i++) {
		check_cut(*state, filters[i], 1, "truncated_archive");
		check_cut(*state, filters[i], 0, "truncated_archive");
	}
}

/* Flip a byte in the middle of @filter's archive of random data. */
static void check_flip(struct tu_fix *fix, const char *filter)
{
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(app, APP_N, filter, &buf, &n);
	buf[n / 2] ^= 0x40;
	tu_check_buf(fix, buf, n, -1, &res);
	assert_hash(&res, buf, n);
	free(buf);
	assert_failed(&res, "corrupt_archive");
}

static void test_check_finish_gzip_flipped_byte(void **state)
{
	/*
	 * big.bin is incompressible: deflate stores it, so the flip lands
	 * in stored bytes that inflate accepts; only the CRC-32 catches it.
	 */
	check_flip(*state, "gzip");
}

static void test_check_finish_gzip_flip_never_not_archive(void **state)
{
	struct dfs_check_result res;
	size_t n, first = 0, count = 0;
	uint8_t *buf, *bad;

	/*
	 * Anywhere in the deflate data, the headers' first block included:
	 * a damaged tar.gz is corrupt (gzip -t fails), never "not tar".
	 * (A flip may also land in padding bits deflate ignores: it passes.)
	 */
	tu_archive_or_skip(app, APP_N, "gzip", &buf, &n);
	bad = malloc(n);
	assert_non_null(bad);
	for (size_t off = 10; off < n; off += off < 400 ? 1 : 4099) {
		memcpy(bad, buf, n);
		bad[off] ^= 0x40;
		tu_check_buf(*state, bad, n, -1, &res);
		if (strcmp(res.error.code, "not_an_archive") == 0 && !count++)
			first = off;
	}
	free(bad);
	free(buf);
	if (count)
		fail_msg("%zu flips gave not_an_archive, the first at byte %zu",
			 count, first);
}

static void test_check_finish_xz_flipped_byte(void **state)
{
	check_flip(*state, "xz");
}

static void test_check_finish_bzip2_flipped_byte(void **state)
{
	check_flip(*state, "bzip2");
}

static void test_check_finish_tar_bad_header(void **state)
{
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	/* README's header: after app/'s header, big.bin's header and data. */
	tu_archive_or_skip(app, APP_N, "none", &buf, &n);
	assert_memory_equal(buf + 512 * 2 + 200192, "app/README", 10);
	buf[512 * 2 + 200192] = 'X';
	tu_check_buf(*state, buf, n, -1, &res);
	assert_failed(&res, "corrupt_archive");
	free(buf);
}

static void check_unsafe(struct tu_fix *fix, const struct tu_entry *e,
			 const char *filter)
{
	const struct tu_entry ok = {.path = "app/ok", .type = 'f', .size = 10};
	struct tu_entry both[2] = {ok, *e};
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(both, 2, filter, &buf, &n);
	tu_check_buf(fix, buf, n, -1, &res);
	assert_failed(&res, "unsafe_path");
	assert_hash(&res, buf, n);
	free(buf);
}

static void test_check_finish_parent_path(void **state)
{
	const struct tu_entry e = {.path = "../etc/passwd",
				   .type = 'f',
				   .data = "root::0:0::/:/bin/sh\n"};

	check_unsafe(*state, &e, "gzip");
	check_unsafe(*state, &e, "none");
}

static void test_check_finish_parent_inside_path(void **state)
{
	const struct tu_entry e = {
		.path = "app/../../etc/passwd", .type = 'f', .size = 100};

	check_unsafe(*state, &e, "gzip");
}

static void test_check_finish_absolute_path(void **state)
{
	const struct tu_entry e = {
		.path = "/etc/passwd", .type = 'f', .size = 100};

	check_unsafe(*state, &e, "gzip");
}

static void test_check_finish_hardlink_outside(void **state)
{
	const struct tu_entry e = {
		.path = "app/shadow", .type = 'h', .link = "../../etc/shadow"};

	check_unsafe(*state, &e, "gzip");
}

static void test_check_finish_dots_in_names_safe(void **state)
{
	static const struct tu_entry e[] = {
		{.path = "./app/..hidden", .type = 'f', .size = 3},
		{.path = "app/a..b", .type = 'f', .size = 4},
		{.path = "app/.../x", .type = 'f', .size = 5},
		{.path = "app/up", .type = 'l', .link = "../elsewhere"},
	};
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	/* A symlink's target is not a path the archive writes to. */
	tu_archive_or_skip(e, 4, "gzip", &buf, &n);
	tu_check_buf(*state, buf, n, -1, &res);
	assert_string_equal(res.error.code, "");
	assert_int_equal(res.entries, 4);
	assert_int_equal(res.unpacked_size, 12);
	free(buf);
}

static void test_check_finish_text(void **state)
{
	const char *text = "#!/bin/sh\necho this is no tarball\n";
	struct dfs_check_result res;

	tu_check_buf(*state, text, strlen(text), -1, &res);
	assert_failed(&res, "not_an_archive");
	assert_hash(&res, text, strlen(text));
}

static void test_check_finish_gzip_text(void **state)
{
	char text[3000];
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	assert_int_equal(tu_gzip_raw(text, sizeof(text), &buf, &n), 0);
	tu_check_buf(*state, buf, n, -1, &res);
	assert_failed(&res, "not_an_archive");
	assert_hash(&res, buf, n);
	free(buf);
}

static void test_check_finish_empty(void **state)
{
	struct dfs_check_result res;

	tu_check_buf(*state, "", 0, -1, &res);
	assert_failed(&res, "not_an_archive");
	assert_hash(&res, "", 0);
}

static void test_check_finish_gzip_members(void **state)
{
	struct dfs_check_result res;
	uint8_t *tar, *a, *b, *both;
	size_t n, na, nb, cut;

	/* `cat x.gz y.gz` of a tar split anywhere is a valid tar.gz. */
	tu_archive_or_skip(app, APP_N, "none", &tar, &n);
	cut = 77777;
	assert_int_equal(tu_gzip_raw(tar, cut, &a, &na), 0);
	assert_int_equal(tu_gzip_raw(tar + cut, n - cut, &b, &nb), 0);
	both = malloc(na + nb);
	assert_non_null(both);
	memcpy(both, a, na);
	memcpy(both + na, b, nb);
	tu_check_buf(*state, both, na + nb, -1, &res);
	assert_string_equal(res.error.code, "");
	assert_string_equal(res.format, "tar+gzip");
	assert_int_equal(res.entries, APP_N);
	free(both);
	free(b);
	free(a);
	free(tar);
}

#define PKG_A "{\"name\":\"a\",\"version\":\"1.0.0\"}"

/* Check @buf while writing it to a new file in pieces of @piece bytes. */
static void check_streamed(struct tu_fix *fix, const uint8_t *buf, size_t n,
			   size_t piece, int mfd, struct dfs_check_result *res)
{
	struct dfs_check *c = NULL;
	int fd = tu_file_fd(fix, "streamed", "", 0);

	assert_int_equal(dfs_check_start(fd, mfd, 0, &c), 0);
	for (size_t off = 0; off < n; off += piece) {
		size_t k = n - off < piece ? n - off : piece;

		assert_int_equal(pwrite(fd, buf + off, k, (off_t)off), k);
		dfs_check_advance(c, off + k);
	}
	assert_int_equal(dfs_check_finish(c, n, res), 0);
	close(fd);
}

static void test_check_advance_in_pieces(void **state)
{
	struct tu_entry big[] = {
		{.path = "app/", .type = 'd'},
		{.path = "app/data.bin",
		 .type = 'f',
		 .size = 3 << 20,
		 .seed = 9},
		{.path = "package.json", .type = 'f', .data = PKG_A},
	};
	struct dfs_check_result once, streamed;
	uint8_t *buf;
	size_t n;

	/* More than the check's 1 MiB reads, in uneven pieces. */
	tu_archive_or_skip(big, 3, "gzip", &buf, &n);
	tu_check_buf(*state, buf, n, -1, &once);
	check_streamed(*state, buf, n, 65521, -1, &streamed);
	assert_string_equal(streamed.error.code, "");
	assert_memory_equal(streamed.hash, once.hash, 32);
	assert_int_equal(streamed.size, once.size);
	assert_string_equal(streamed.format, once.format);
	assert_int_equal(streamed.entries, 3);
	assert_int_equal(streamed.unpacked_size, once.unpacked_size);
	assert_string_equal(streamed.package, "a@1.0.0");
	assert_hash(&streamed, buf, n);
	free(buf);
}

static void test_check_advance_truncated(void **state)
{
	struct dfs_check_result res;
	uint8_t *buf;
	size_t n;

	tu_archive_or_skip(app, APP_N, "gzip", &buf, &n);
	check_streamed(*state, buf, n - 10240, 4096, -1, &res);
	assert_failed(&res, "truncated_archive");
	assert_hash(&res, buf, n - 10240);
	free(buf);
}

static void test_check_advance_reads_only_final(void **state)
{
	struct timespec pause = {0, 100 * 1000 * 1000};
	struct dfs_check_result res;
	struct dfs_check *c = NULL;
	uint8_t *buf, *junk;
	size_t n, half;
	int fd;

	/* Junk beyond what was declared final must never be read. */
	tu_archive_or_skip(app, APP_N, "gzip", &buf, &n);
	half = n / 2;
	junk = malloc(n);
	assert_non_null(junk);
	memcpy(junk, buf, half);
	tu_fill(junk + half, n - half, 77);
	fd = tu_file_fd(*state, "payload", junk, n);
	assert_int_equal(dfs_check_start(fd, -1, 0, &c), 0);
	dfs_check_advance(c, half);
	nanosleep(&pause, NULL);
	assert_int_equal(pwrite(fd, buf + half, n - half, (off_t)half),
			 n - half);
	assert_int_equal(dfs_check_finish(c, n, &res), 0);
	assert_string_equal(res.error.code, "");
	assert_hash(&res, buf, n);
	close(fd);
	free(junk);
	free(buf);
}

static void test_check_cancel_midway(void **state)
{
	struct timespec pause = {0, 20 * 1000 * 1000};
	struct dfs_check *c = NULL;
	uint8_t *buf;
	size_t n;
	int fd, mfd;

	/* Run under ASan or valgrind: nothing may leak or be used freed. */
	tu_archive_or_skip(app, APP_N, "gzip", &buf, &n);
	fd = tu_file_fd(*state, "payload", buf, n);
	mfd = tu_file_fd(*state, "manifest", "", 0);
	assert_int_equal(dfs_check_start(fd, mfd, 0, &c), 0);
	dfs_check_advance(c, n / 2);
	nanosleep(&pause, NULL);
	dfs_check_cancel(c);

	/* Before any byte, and after all of them. */
	assert_int_equal(dfs_check_start(fd, -1, 0, &c), 0);
	dfs_check_cancel(c);
	assert_int_equal(dfs_check_start(fd, mfd, 0, &c), 0);
	dfs_check_advance(c, n);
	nanosleep(&pause, NULL);
	dfs_check_cancel(c);
	dfs_check_cancel(NULL);
	close(mfd);
	close(fd);
	free(buf);
}

static void test_check_finish_short_file(void **state)
{
	struct dfs_check_result res;
	struct dfs_check *c = NULL;
	uint8_t *buf;
	size_t n;
	int fd;

	/* The file has fewer bytes than the size finish declares. */
	tu_archive_or_skip(app, APP_N, "gzip", &buf, &n);
	fd = tu_file_fd(*state, "payload", buf, n);
	assert_int_equal(dfs_check_start(fd, -1, 0, &c), 0);
	assert_int_equal(dfs_check_finish(c, n + 4096, &res), -EIO);
	close(fd);
	free(buf);
}

static void test_check_finish_unreadable(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_check_result res;
	struct dfs_check *c = NULL;
	char path[PATH_MAX];
	uint8_t buf[4096];
	int fd;

	tu_tar(buf, sizeof(buf), 3);
	tu_path(path, "%s/payload", fix->base);
	assert_int_equal(tu_write_file(path, buf, sizeof(buf)), 0);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(dfs_check_start(fd, -1, 0, &c), 0);
	assert_int_equal(dfs_check_finish(c, sizeof(buf), &res), -EIO);
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_finish_tar),
		T(test_check_finish_tar_gzip),
		T(test_check_finish_tar_xz),
		T(test_check_finish_tar_bzip2),
		T(test_check_finish_tar_zstd),
		T(test_check_finish_cut_one_byte),
		T(test_check_finish_cut_10k),
		T(test_check_finish_cut_half),
		T(test_check_finish_cut_tar),
		T(test_check_finish_cut_other_formats),
		T(test_check_finish_gzip_flipped_byte),
		T(test_check_finish_gzip_flip_never_not_archive),
		T(test_check_finish_xz_flipped_byte),
		T(test_check_finish_bzip2_flipped_byte),
		T(test_check_finish_tar_bad_header),
		T(test_check_finish_parent_path),
		T(test_check_finish_parent_inside_path),
		T(test_check_finish_absolute_path),
		T(test_check_finish_hardlink_outside),
		T(test_check_finish_dots_in_names_safe),
		T(test_check_finish_text),
		T(test_check_finish_gzip_text),
		T(test_check_finish_empty),
		T(test_check_finish_gzip_members),
		T(test_check_advance_in_pieces),
		T(test_check_advance_truncated),
		T(test_check_advance_reads_only_final),
		T(test_check_cancel_midway),
		T(test_check_finish_short_file),
		T(test_check_finish_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
