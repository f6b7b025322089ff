/*
 * test_check — archive sniffing: the magic of gzip, zstd, xz, bzip2 and
 * tar is accepted, anything else is -EBADMSG "not_an_archive".
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

#include "check.h"
#include "testutil.h"

static int sniff(const void *head, size_t n, char format[DFS_FORMAT_MAX],
		 struct dfs_record_error *err)
{
	memset(format, 0, DFS_FORMAT_MAX);
	memset(err, 0, sizeof(*err));
	return dfs_check_sniff(head, n, n, format, err);
}

static void assert_not_archive(const struct dfs_record_error *err)
{
	assert_string_equal(err->code, "not_an_archive");
	assert_int_equal(err->phase, DFS_PHASE_VALIDATE);
	assert_true(strlen(err->message) > 0);
}

static void test_check_sniff_gzip(void **state)
{
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	uint8_t buf[512];

	(void)state;
	tu_gzip_magic(buf, sizeof(buf), 1);
	assert_int_equal(sniff(buf, sizeof(buf), format, &err), 0);
	assert_string_equal(format, "tar+gzip");
}

static void test_check_sniff_real_targz(void **state)
{
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(tu_targz(10000, 2, &buf, &len), 0);
	assert_int_equal(sniff(buf, len, format, &err), 0);
	assert_string_equal(format, "tar+gzip");
	free(buf);
}

static void test_check_sniff_tar(void **state)
{
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	uint8_t buf[1024];

	(void)state;
	memset(buf, 0, sizeof(buf));
	strcpy((char *)buf, "app/payload.bin");
	memcpy(buf + 257,
	       "ustar\0"
	       "00",
	       8);
	assert_int_equal(sniff(buf, sizeof(buf), format, &err), 0);
	assert_string_equal(format, "tar");
}

static void test_check_sniff_gnu_tar(void **state)
{
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	uint8_t buf[1024];

	(void)state;
	memset(buf, 0, sizeof(buf));
	strcpy((char *)buf, "app/payload.bin");
	memcpy(buf + 257, "ustar  ", 8);
	assert_int_equal(sniff(buf, sizeof(buf), format, &err), 0);
	assert_string_equal(format, "tar");
}

static void test_check_sniff_compressed_others(void **state)
{
	static const uint8_t zstd[] = {0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0};
	static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0};
	static const uint8_t bz2[] = {'B', 'Z', 'h', '9', '1', 'A', 'Y', '&'};
	const uint8_t *magic[] = {zstd, xz, bz2};
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	char seen[3][DFS_FORMAT_MAX];
	uint8_t buf[512];
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		tu_fill(buf, sizeof(buf), (uint32_t)i);
		memcpy(buf, magic[i], 8);
		assert_int_equal(sniff(buf, sizeof(buf), format, &err), 0);
		assert_true(strlen(format) > 0);
		assert_string_not_equal(format, "tar+gzip");
		strcpy(seen[i], format);
	}
	/* Each compressor has a name of its own. */
	assert_string_not_equal(seen[0], seen[1]);
	assert_string_not_equal(seen[1], seen[2]);
	assert_string_not_equal(seen[0], seen[2]);
}

static void test_check_sniff_text(void **state)
{
	const char *text = "hello, this is not a tarball\n";
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];

	(void)state;
	assert_int_equal(sniff(text, strlen(text), format, &err), -EBADMSG);
	assert_not_archive(&err);
}

static void test_check_sniff_zip(void **state)
{
	const uint8_t zip[] = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];

	(void)state;
	assert_int_equal(sniff(zip, sizeof(zip), format, &err), -EBADMSG);
	assert_not_archive(&err);
}

static void test_check_sniff_empty(void **state)
{
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];

	(void)state;
	assert_int_equal(sniff("", 0, format, &err), -EBADMSG);
	assert_true(strlen(err.code) > 0);
	assert_int_equal(err.phase, DFS_PHASE_VALIDATE);
}

static void test_check_sniff_short_magic(void **state)
{
	const uint8_t one[] = {0x1f};
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];

	(void)state;
	assert_int_equal(sniff(one, sizeof(one), format, &err), -EBADMSG);
}

static void test_check_sniff_tar_magic_out_of_reach(void **state)
{
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	uint8_t buf[260];

	(void)state;
	/* Only 260 bytes: the ustar magic at 257 cannot be complete. */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf + 257, "ust", 3);
	assert_int_equal(sniff(buf, sizeof(buf), format, &err), -EBADMSG);
	assert_not_archive(&err);
}

static int temp_file(struct tu_fix *fix, const void *buf, size_t n)
{
	char path[PATH_MAX];
	int fd;

	tu_path(path, "%s/payload", fix->base);
	assert_int_equal(tu_write_file(path, buf, n), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static void test_check_fd_gzip(void **state)
{
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	uint8_t *buf;
	size_t len;
	int fd;

	assert_int_equal(tu_targz(70000, 3, &buf, &len), 0);
	fd = temp_file(*state, buf, len);
	memset(format, 0, sizeof(format));
	assert_int_equal(dfs_check_fd(fd, len, format, &err), 0);
	assert_string_equal(format, "tar+gzip");
	close(fd);
	free(buf);
}

static void test_check_fd_text(void **state)
{
	const char *text = "#!/bin/sh\necho not an archive\n";
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	int fd;

	fd = temp_file(*state, text, strlen(text));
	memset(&err, 0, sizeof(err));
	assert_int_equal(dfs_check_fd(fd, strlen(text), format, &err),
			 -EBADMSG);
	assert_not_archive(&err);
	close(fd);
}

static void test_check_fd_unreadable(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record_error err;
	char format[DFS_FORMAT_MAX];
	char path[PATH_MAX];
	uint8_t buf[512];
	int fd;

	tu_gzip_magic(buf, sizeof(buf), 4);
	tu_path(path, "%s/payload", fix->base);
	assert_int_equal(tu_write_file(path, buf, sizeof(buf)), 0);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(dfs_check_fd(fd, sizeof(buf), format, &err), -EIO);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_sniff_gzip),
		cmocka_unit_test(test_check_sniff_real_targz),
		cmocka_unit_test(test_check_sniff_tar),
		cmocka_unit_test(test_check_sniff_gnu_tar),
		cmocka_unit_test(test_check_sniff_compressed_others),
		cmocka_unit_test(test_check_sniff_text),
		cmocka_unit_test(test_check_sniff_zip),
		cmocka_unit_test(test_check_sniff_empty),
		cmocka_unit_test(test_check_sniff_short_magic),
		cmocka_unit_test(test_check_sniff_tar_magic_out_of_reach),
		cmocka_unit_test_setup_teardown(test_check_fd_gzip,
						tu_dir_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_check_fd_text,
						tu_dir_setup, tu_teardown),
		cmocka_unit_test_setup_teardown(test_check_fd_unreadable,
						tu_dir_setup, tu_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
