/*
 * test_upload — a temp file plus an on-the-fly SHA-256 that must equal
 * OpenSSL's one-shot SHA-256 of the bytes the writer meant, however the
 * writes arrived (in order, out of order, overwrites, truncates, seeds).
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "upload.h"

static struct dfs_upload *new_upload(struct tu_fix *fix, const char *name)
{
	struct dfs_upload *up = NULL;
	int dirfd;

	dirfd = open(fix->base, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd >= 0);
	fix->extra = (void *)(intptr_t)dirfd;
	assert_int_equal(dfs_upload_new(dirfd, name, &up), 0);
	assert_non_null(up);
	return up;
}

static int base_dirfd(struct tu_fix *fix)
{
	return (int)(intptr_t)fix->extra;
}

static void done(struct tu_fix *fix, struct dfs_upload *up)
{
	dfs_upload_free(up, 1);
	close(base_dirfd(fix));
}

/* Finish and compare with OpenSSL's hash of @want. */
static void assert_hash(struct dfs_upload *up, const void *want, size_t n)
{
	uint8_t got[32], ref[32];

	tu_sha256(want, n, ref);
	assert_int_equal(dfs_upload_size(up), n);
	assert_int_equal(dfs_upload_finish(up, got), 0);
	assert_memory_equal(got, ref, 32);
}

static void write_ok(struct dfs_upload *up, const void *buf, size_t n,
		     uint64_t off)
{
	assert_int_equal(dfs_upload_write(up, DFS_SRC_MEM(buf, n), off), 0);
}

static void test_upload_new_creates_file(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	char path[PATH_MAX];
	struct stat sb;

	up = new_upload(fix, "up.1");
	tu_path(path, "%s/up.1", fix->base);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_string_equal(dfs_upload_name(up), "up.1");
	assert_true(dfs_upload_fd(up) >= 0);
	assert_int_equal(dfs_upload_size(up), 0);
	done(fix, up);
}

static void test_upload_new_exists(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up, *again = NULL;

	up = new_upload(fix, "up.1");
	assert_int_equal(dfs_upload_new(base_dirfd(fix), "up.1", &again),
			 -EEXIST);
	assert_null(again);
	done(fix, up);
}

static void test_upload_free_removes(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	char path[PATH_MAX];

	up = new_upload(fix, "up.1");
	write_ok(up, "abc", 3, 0);
	dfs_upload_free(up, 1);
	tu_path(path, "%s/up.1", fix->base);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	close(base_dirfd(fix));
}

static void test_upload_free_keeps(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	char path[PATH_MAX];
	struct stat sb;

	up = new_upload(fix, "up.1");
	write_ok(up, "abc", 3, 0);
	dfs_upload_free(up, 0);
	tu_path(path, "%s/up.1", fix->base);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 3);
	close(base_dirfd(fix));
}

static void test_upload_finish_empty(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;

	up = new_upload(fix, "up.1");
	assert_hash(up, "", 0);
	done(fix, up);
}

static void test_upload_write_sequential(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[10000];

	tu_fill(data, sizeof(data), 1);
	up = new_upload(fix, "up.1");
	write_ok(up, data, 1, 0);
	write_ok(up, data + 1, 4095, 1);
	write_ok(up, data + 4096, sizeof(data) - 4096, 4096);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
}

static void test_upload_write_large(void **state)
{
	const size_t total = 5u << 20, chunk = 65536 + 13;
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t *data;
	size_t off, n;

	data = malloc(total);
	assert_non_null(data);
	tu_fill(data, total, 2);
	up = new_upload(fix, "up.1");
	for (off = 0; off < total; off += n) {
		n = total - off < chunk ? total - off : chunk;
		write_ok(up, data + off, n, off);
	}
	assert_hash(up, data, total);
	done(fix, up);
	free(data);
}

static void test_upload_write_out_of_order(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[30000];

	tu_fill(data, sizeof(data), 3);
	up = new_upload(fix, "up.1");
	write_ok(up, data + 20000, 10000, 20000);
	write_ok(up, data, 10000, 0);
	write_ok(up, data + 10000, 10000, 10000);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
}

static void test_upload_write_overwrite(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[8192];

	tu_fill(data, sizeof(data), 4);
	up = new_upload(fix, "up.1");
	write_ok(up, data, sizeof(data), 0);
	memcpy(data + 100, "PATCHED", 7);
	write_ok(up, "PATCHED", 7, 100);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
}

static void test_upload_write_hole(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[3000];

	memset(data, 0, sizeof(data));
	tu_fill(data, 1000, 5);
	tu_fill(data + 2000, 1000, 6);
	up = new_upload(fix, "up.1");
	write_ok(up, data, 1000, 0);
	write_ok(up, data + 2000, 1000, 2000);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
}

static void test_upload_write_rewrite_from_start(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t a[4096], b[4096];

	tu_fill(a, sizeof(a), 7);
	tu_fill(b, sizeof(b), 8);
	up = new_upload(fix, "up.1");
	write_ok(up, a, sizeof(a), 0);
	/* A second pass over the same range (a retrying writer). */
	write_ok(up, b, sizeof(b), 0);
	assert_hash(up, b, sizeof(b));
	done(fix, up);
}

static void test_upload_truncate_shrink(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[10000];

	tu_fill(data, sizeof(data), 9);
	up = new_upload(fix, "up.1");
	write_ok(up, data, sizeof(data), 0);
	assert_int_equal(dfs_upload_truncate(up, 4000), 0);
	assert_hash(up, data, 4000);
	done(fix, up);
}

static void test_upload_truncate_grow(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[2000];

	memset(data, 0, sizeof(data));
	tu_fill(data, 500, 10);
	up = new_upload(fix, "up.1");
	write_ok(up, data, 500, 0);
	assert_int_equal(dfs_upload_truncate(up, sizeof(data)), 0);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
}

static void test_upload_truncate_then_append(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[6000];

	tu_fill(data, sizeof(data), 11);
	up = new_upload(fix, "up.1");
	write_ok(up, data, 5000, 0);
	assert_int_equal(dfs_upload_truncate(up, 0), 0);
	write_ok(up, data, sizeof(data), 0);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
}

static void test_upload_read_back(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[5000], buf[8000];
	size_t got = 12345;

	tu_fill(data, sizeof(data), 12);
	up = new_upload(fix, "up.1");
	write_ok(up, data, sizeof(data), 0);
	assert_int_equal(dfs_upload_read(up, buf, 100, 10, &got), 0);
	assert_int_equal(got, 100);
	assert_memory_equal(buf, data + 10, 100);
	/* Short at the end, nothing past it. */
	assert_int_equal(dfs_upload_read(up, buf, sizeof(buf), 0, &got), 0);
	assert_int_equal(got, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	assert_int_equal(dfs_upload_read(up, buf, 10, 9000, &got), 0);
	assert_int_equal(got, 0);
	done(fix, up);
}

static void test_upload_seed_copies(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[70000], buf[16];
	char path[PATH_MAX];
	size_t got;
	int src;

	tu_fill(data, sizeof(data), 13);
	tu_path(path, "%s/source", fix->base);
	assert_int_equal(tu_write_file(path, data, sizeof(data)), 0);
	src = open(path, O_RDONLY);
	assert_true(src >= 0);

	up = new_upload(fix, "up.1");
	assert_int_equal(dfs_upload_seed(up, src), 0);
	assert_int_equal(dfs_upload_size(up), sizeof(data));
	assert_int_equal(dfs_upload_read(up, buf, 16, 60000, &got), 0);
	assert_int_equal(got, 16);
	assert_memory_equal(buf, data + 60000, 16);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
	close(src);
}

static void test_upload_seed_then_write(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[20000], orig[20000];
	char path[PATH_MAX];
	int src;

	tu_fill(data, sizeof(data), 14);
	memcpy(orig, data, sizeof(data));
	tu_path(path, "%s/source", fix->base);
	assert_int_equal(tu_write_file(path, data, sizeof(data)), 0);
	src = open(path, O_RDONLY);
	assert_true(src >= 0);

	up = new_upload(fix, "up.1");
	assert_int_equal(dfs_upload_seed(up, src), 0);
	write_ok(up, "ABCD", 4, 1234);
	memcpy(data + 1234, "ABCD", 4);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
	close(src);

	/* The source is a copy's origin, never written to. */
	src = open(path, O_RDONLY);
	assert_int_equal(read(src, data, sizeof(data)), sizeof(data));
	assert_memory_equal(data, orig, sizeof(orig));
	close(src);
}

static void test_upload_seed_then_truncate(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[20000];
	char path[PATH_MAX];
	int src;

	tu_fill(data, sizeof(data), 15);
	tu_path(path, "%s/source", fix->base);
	assert_int_equal(tu_write_file(path, data, sizeof(data)), 0);
	src = open(path, O_RDONLY);
	assert_true(src >= 0);

	up = new_upload(fix, "up.1");
	assert_int_equal(dfs_upload_seed(up, src), 0);
	assert_int_equal(dfs_upload_truncate(up, 777), 0);
	assert_hash(up, data, 777);
	done(fix, up);
	close(src);
}

static void test_sha256_fd_file(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t data[100000], got[32], ref[32];
	char path[PATH_MAX];
	uint64_t size = 0;
	int fd;

	tu_fill(data, sizeof(data), 16);
	tu_path(path, "%s/file", fix->base);
	assert_int_equal(tu_write_file(path, data, sizeof(data)), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	/* From offset 0 whatever the file position. */
	assert_int_equal(lseek(fd, 500, SEEK_SET), 500);
	assert_int_equal(dfs_sha256_fd(fd, got, &size), 0);
	tu_sha256(data, sizeof(data), ref);
	assert_memory_equal(got, ref, 32);
	assert_int_equal(size, sizeof(data));
	close(fd);
}

static void test_sha256_fd_known_vector(void **state)
{
	/* FIPS 180-2 example: SHA-256("abc"). */
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	struct tu_fix *fix = *state;
	char path[PATH_MAX];
	uint64_t size = 0;
	uint8_t got[32];
	int fd;

	tu_path(path, "%s/abc", fix->base);
	assert_int_equal(tu_write_file(path, "abc", 3), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dfs_sha256_fd(fd, got, &size), 0);
	assert_memory_equal(got, abc, 32);
	assert_int_equal(size, 3);
	close(fd);
}

/* The size of @up's file on disk and the bytes it has allocated. */
static void file_size(struct dfs_upload *up, off_t *size, blkcnt_t *blocks)
{
	struct stat sb;

	assert_int_equal(fstat(dfs_upload_fd(up), &sb), 0);
	*size = sb.st_size;
	*blocks = sb.st_blocks;
}

static void test_upload_max_write(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[1000];
	blkcnt_t blocks, blocks2;
	off_t size;

	tu_fill(data, sizeof(data), 17);
	up = new_upload(fix, "up.1");
	dfs_upload_set_max(up, sizeof(data));
	write_ok(up, data, sizeof(data), 0); /* up to the limit exactly */
	file_size(up, &size, &blocks);
	assert_int_equal(
		dfs_upload_write(up, DFS_SRC_MEM(data, 1), sizeof(data)),
		-EFBIG);
	assert_int_equal(
		dfs_upload_write(up, DFS_SRC_MEM(data, 2), sizeof(data) - 1),
		-EFBIG);
	assert_int_equal(dfs_upload_write(up, DFS_SRC_MEM(data, 1), 1ULL << 40),
			 -EFBIG);
	assert_int_equal(
		dfs_upload_write(up, DFS_SRC_MEM(data, 4), UINT64_MAX - 1),
		-EFBIG);
	/* Nothing was written or allocated, and the upload goes on. */
	file_size(up, &size, &blocks2);
	assert_int_equal(size, sizeof(data));
	assert_int_equal(blocks2, blocks);
	assert_true(dfs_upload_sequential(up));
	assert_hash(up, data, sizeof(data));
	done(fix, up);
}

static void test_upload_max_write_fd(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[100], back[100];
	int p[2];

	tu_fill(data, sizeof(data), 18);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], data, sizeof(data)), sizeof(data));
	up = new_upload(fix, "up.1");
	dfs_upload_set_max(up, 50);
	assert_int_equal(
		dfs_upload_write(up, DFS_SRC_FD(p[0], sizeof(data)), 0),
		-EFBIG);
	assert_int_equal(dfs_upload_size(up), 0);
	/* The pipe was not read. */
	assert_int_equal(read(p[0], back, sizeof(back)), sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
	close(p[0]);
	close(p[1]);
	done(fix, up);
}

static void test_upload_max_truncate(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[500];
	blkcnt_t blocks;
	off_t size;

	tu_fill(data, sizeof(data), 19);
	up = new_upload(fix, "up.1");
	dfs_upload_set_max(up, 1000);
	write_ok(up, data, sizeof(data), 0);
	assert_int_equal(dfs_upload_truncate(up, 1001), -EFBIG);
	assert_int_equal(dfs_upload_truncate(up, 1ULL << 40), -EFBIG);
	file_size(up, &size, &blocks);
	assert_int_equal(size, sizeof(data));
	assert_int_equal(dfs_upload_size(up), sizeof(data));
	assert_true(dfs_upload_sequential(up));
	assert_int_equal(dfs_upload_truncate(up, 1000), 0);
	assert_int_equal(dfs_upload_size(up), 1000);
	done(fix, up);
}

static void test_upload_max_seed(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_upload *up;
	uint8_t data[2000];
	char path[PATH_MAX];
	blkcnt_t blocks;
	off_t size;
	int src;

	tu_fill(data, sizeof(data), 20);
	tu_path(path, "%s/source", fix->base);
	assert_int_equal(tu_write_file(path, data, sizeof(data)), 0);
	src = open(path, O_RDONLY);
	assert_true(src >= 0);
	up = new_upload(fix, "up.1");
	dfs_upload_set_max(up, sizeof(data) - 1);
	assert_int_equal(dfs_upload_seed(up, src), -EFBIG);
	file_size(up, &size, &blocks);
	assert_int_equal(size, 0);
	assert_int_equal(dfs_upload_size(up), 0);
	dfs_upload_set_max(up, sizeof(data));
	assert_int_equal(dfs_upload_seed(up, src), 0);
	assert_hash(up, data, sizeof(data));
	done(fix, up);
	close(src);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_dir_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_upload_new_creates_file),
		T(test_upload_new_exists),
		T(test_upload_free_removes),
		T(test_upload_free_keeps),
		T(test_upload_finish_empty),
		T(test_upload_write_sequential),
		T(test_upload_write_large),
		T(test_upload_write_out_of_order),
		T(test_upload_write_overwrite),
		T(test_upload_write_hole),
		T(test_upload_write_rewrite_from_start),
		T(test_upload_truncate_shrink),
		T(test_upload_truncate_grow),
		T(test_upload_truncate_then_append),
		T(test_upload_read_back),
		T(test_upload_seed_copies),
		T(test_upload_seed_then_write),
		T(test_upload_seed_then_truncate),
		T(test_upload_max_write),
		T(test_upload_max_write_fd),
		T(test_upload_max_truncate),
		T(test_upload_max_seed),
		T(test_sha256_fd_file),
		T(test_sha256_fd_known_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
