/*
 * test_blob — payloads move from tmp/ to blobs/<aa>/<sha256 hex> once,
 * however often the same bytes are put.
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

#include "blobs.h"
#include "record.h"
#include "testutil.h"

/* A file in STORE/tmp holding @n bytes of @buf, open read-write. */
static int tmp_file(struct tu_fix *fix, const char *name, const void *buf,
		    size_t n)
{
	char path[PATH_MAX];
	int fd;

	tu_path(path, "%s/tmp/%s", fix->dir, name);
	assert_int_equal(tu_write_file(path, buf, n), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	return fd;
}

static bool tmp_exists(struct tu_fix *fix, const char *name)
{
	char path[PATH_MAX];

	tu_path(path, "%s/tmp/%s", fix->dir, name);
	return access(path, F_OK) == 0;
}

/* Store @buf; a blob stored already is adopted, as a deploy does. */
static void put(struct tu_fix *fix, const char *name, const void *buf, size_t n,
		uint8_t hash[32])
{
	bool before = false;
	int fd;

	tu_sha256(buf, n, hash);
	fd = tmp_file(fix, name, buf, n);
	assert_int_equal(dfs_blobs_put(dfs_store_blobs(fix->st), fd, name, hash,
				       &before),
			 0);
	if (before) {
		assert_true(tmp_exists(fix, name)); /* kept until adopted */
		assert_int_equal(
			dfs_blobs_adopt(dfs_store_blobs(fix->st), name, hash),
			0);
	}
	close(fd);
}

static void test_blob_relpath_fanout(void **state)
{
	struct tu_fix *fix = *state;
	char path[DFS_BLOB_PATH_MAX], hex[65], want[DFS_BLOB_PATH_MAX];
	uint8_t hash[32];

	tu_fill(hash, sizeof(hash), 1);
	hash[0] = 0xab;
	dfs_hash_hex(hash, hex);
	snprintf(want, sizeof(want), "blobs/ab/%s", hex);
	dfs_blobs_path(dfs_store_blobs(fix->st), hash, path);
	assert_string_equal(path, want);
}

static void test_blob_put_moves_file(void **state)
{
	struct tu_fix *fix = *state;
	char rel[DFS_BLOB_PATH_MAX], path[PATH_MAX];
	uint8_t data[50000], hash[32];
	struct stat sb;

	tu_fill(data, sizeof(data), 2);
	put(fix, "up.1", data, sizeof(data), hash);
	assert_false(tmp_exists(fix, "up.1"));
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), hash));
	dfs_blobs_path(dfs_store_blobs(fix->st), hash, rel);
	tu_path(path, "%s/%s", fix->dir, rel);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, sizeof(data));
	assert_int_equal(tu_count_blobs(fix->dir), 1);
}

static void test_blob_put_read_only(void **state)
{
	struct tu_fix *fix = *state;
	char rel[DFS_BLOB_PATH_MAX], path[PATH_MAX];
	uint8_t hash[32];
	struct stat sb;

	put(fix, "up.1", "\x1f\x8b payload", 10, hash);
	dfs_blobs_path(dfs_store_blobs(fix->st), hash, rel);
	tu_path(path, "%s/%s", fix->dir, rel);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0222, 0);
}

static void test_blob_open_reads_content(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t data[70000], back[70001], hash[32];
	ssize_t got, total = 0;
	int fd = -1;

	tu_fill(data, sizeof(data), 3);
	put(fix, "up.1", data, sizeof(data), hash);
	assert_int_equal(dfs_blobs_open(dfs_store_blobs(fix->st), hash, &fd),
			 0);
	assert_true(fd >= 0);
	while ((got = pread(fd, back + total, sizeof(back) - (size_t)total,
			    total)) > 0)
		total += got;
	assert_int_equal(total, sizeof(data));
	assert_memory_equal(back, data, sizeof(data));
	close(fd);
}

static void test_blob_put_dedup(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t data[4096], h1[32], h2[32];
	char dir[PATH_MAX];
	bool before = false;

	tu_fill(data, sizeof(data), 4);
	data[0] = 0xaa; /* only to make the test easy to follow */
	put(fix, "up.1", data, sizeof(data), h1);
	assert_int_equal(dfs_blobs_put(dfs_store_blobs(fix->st), -1, "none", h1,
				       &before),
			 0);
	assert_true(before);
	put(fix, "up.2", data, sizeof(data), h2);
	assert_memory_equal(h1, h2, 32);
	assert_false(tmp_exists(fix, "up.1"));
	assert_false(tmp_exists(fix, "up.2"));
	assert_int_equal(tu_count_blobs(fix->dir), 1);
	tu_path(dir, "%s/blobs/%02x", fix->dir, h1[0]);
	assert_int_equal(tu_count_entries(dir), 1);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

/* A blob removed between put and adopt: the temp copy becomes the blob. */
static void test_blob_adopt_after_removal(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t data[4096], h[32];
	bool before = false;
	int fd;

	tu_fill(data, sizeof(data), 7);
	put(fix, "up.1", data, sizeof(data), h);
	fd = tmp_file(fix, "up.2", data, sizeof(data));
	assert_int_equal(
		dfs_blobs_put(dfs_store_blobs(fix->st), fd, "up.2", h, &before),
		0);
	assert_true(before);
	close(fd);
	assert_int_equal(dfs_blobs_remove(dfs_store_blobs(fix->st), h),
			 0); /* no record */
	assert_false(dfs_blobs_exists(dfs_store_blobs(fix->st), h));
	assert_int_equal(dfs_blobs_adopt(dfs_store_blobs(fix->st), "up.2", h),
			 0);
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), h));
	assert_false(tmp_exists(fix, "up.2"));
}

static void test_blob_put_distinct(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t a[100], b[100], ha[32], hb[32];

	tu_fill(a, sizeof(a), 5);
	tu_fill(b, sizeof(b), 6);
	put(fix, "up.1", a, sizeof(a), ha);
	put(fix, "up.2", b, sizeof(b), hb);
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), ha));
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), hb));
	assert_int_equal(tu_count_blobs(fix->dir), 2);
}

static void test_blob_put_survives_reopen(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t data[1000], hash[32];
	int fd = -1;

	tu_fill(data, sizeof(data), 7);
	put(fix, "up.1", data, sizeof(data), hash);
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), hash));
	assert_int_equal(dfs_blobs_open(dfs_store_blobs(fix->st), hash, &fd),
			 0);
	close(fd);
}

static void test_blob_open_missing(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t hash[32];
	int fd = -7;

	tu_fill(hash, sizeof(hash), 8);
	assert_int_equal(dfs_blobs_open(dfs_store_blobs(fix->st), hash, &fd),
			 -ENOENT);
	assert_int_equal(fd, -7);
	assert_false(dfs_blobs_exists(dfs_store_blobs(fix->st), hash));
}

static void test_blob_put_missing_tmp(void **state)
{
	struct tu_fix *fix = *state;
	char path[PATH_MAX];
	uint8_t hash[32];
	bool before = true;
	int fd;

	/* The fd is fine but the name is not in tmp/: an error, no blob. */
	tu_path(path, "%s/elsewhere", fix->base);
	assert_int_equal(tu_write_file(path, "abc", 3), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	tu_sha256("abc", 3, hash);
	assert_true(dfs_blobs_put(dfs_store_blobs(fix->st), fd, "no-such-file",
				  hash, &before) < 0);
	assert_true(before); /* untouched on failure */
	assert_false(dfs_blobs_exists(dfs_store_blobs(fix->st), hash));
	close(fd);
}

/* The same bytes put twice from memory: 0 both times, one blob, no temp. */
static void test_blob_put_bytes_twice(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t data[4096], h1[32], h2[32], want[32];

	tu_fill(data, sizeof(data), 9);
	tu_sha256(data, sizeof(data), want);
	assert_int_equal(dfs_blobs_put_bytes(dfs_store_blobs(fix->st), data,
					     sizeof(data), h1),
			 0);
	assert_int_equal(dfs_blobs_put_bytes(dfs_store_blobs(fix->st), data,
					     sizeof(data), h2),
			 0);
	assert_memory_equal(h1, want, 32);
	assert_memory_equal(h2, want, 32);
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), want));
	assert_int_equal(tu_count_blobs(fix->dir), 1);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

/* Put again after the blob was removed: the new copy becomes the blob. */
static void test_blob_put_bytes_after_removal(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t data[100], h[32];

	tu_fill(data, sizeof(data), 10);
	assert_int_equal(dfs_blobs_put_bytes(dfs_store_blobs(fix->st), data,
					     sizeof(data), h),
			 0);
	assert_int_equal(dfs_blobs_remove(dfs_store_blobs(fix->st), h), 0);
	assert_false(dfs_blobs_exists(dfs_store_blobs(fix->st), h));
	assert_int_equal(dfs_blobs_put_bytes(dfs_store_blobs(fix->st), data,
					     sizeof(data), h),
			 0);
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), h));
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_blob_relpath_fanout),
		T(test_blob_put_moves_file),
		T(test_blob_put_read_only),
		T(test_blob_open_reads_content),
		T(test_blob_put_dedup),
		T(test_blob_adopt_after_removal),
		T(test_blob_put_distinct),
		T(test_blob_put_survives_reopen),
		T(test_blob_open_missing),
		T(test_blob_put_missing_tmp),
		T(test_blob_put_bytes_twice),
		T(test_blob_put_bytes_after_removal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
