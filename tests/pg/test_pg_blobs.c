/*
 * test_pg_blobs — payload bytes in the catalog: stored in chunks shared
 * between blobs, read back byte for byte at any offset, checked on the
 * way in and out, removed with the chunks nothing else uses.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg_blobs.h"
#include "pgutil.h"

#define MIB (1u << 20)

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static void hash_of(const void *buf, size_t n, uint8_t out[32])
{
	unsigned len;

	assert_true(EVP_Digest(buf, n, out, &len, EVP_sha256(), NULL));
}

/* A temp file holding @n bytes of @buf (unlinked: the fd is all). */
static int temp_with(const void *buf, size_t n)
{
	char path[] = "/tmp/dfs-pgblob.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	return fd;
}

static void put(struct pgt_fix *fix, const uint8_t *buf, size_t n,
		uint8_t hash[32], bool *before)
{
	int fd = temp_with(buf, n);

	hash_of(buf, n, hash);
	assert_int_equal(dfs_pg_blob_put_fd(fix->pg, fd, n, hash, before), 0);
	close(fd);
}

static const char *count(struct pgt_fix *fix, const char *table)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM deployfs.%s", table);
	return pgt_value(fix->raw, sql);
}

static void test_pg_blob_put_fetch(void **state)
{
	struct pgt_fix *fix = *state;
	size_t n = 3 * MIB + MIB / 2;
	uint8_t *buf = malloc(n), *back = malloc(n + 1), hash[32];
	uint64_t size, refs;
	bool exists, before = true;
	int fd;

	fill(buf, n, 1);
	put(fix, buf, n, hash, &before);
	assert_false(before);
	assert_int_equal(dfs_pg_blob_stat(fix->pg, hash, &exists, &size, &refs),
			 0);
	assert_true(exists);
	assert_int_equal(size, n);
	assert_int_equal(refs, 0);
	assert_string_equal(count(fix, "chunks"), "4");
	fd = temp_with("", 0);
	assert_int_equal(dfs_pg_blob_fetch(fix->pg, hash, fd), 0);
	assert_int_equal(pread(fd, back, n + 1, 0), (ssize_t)n);
	assert_memory_equal(back, buf, n);
	close(fd);
	free(buf);
	free(back);
}

static void test_pg_blob_put_twice(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t buf[1000], hash[32];
	bool before = false;

	fill(buf, sizeof(buf), 2);
	put(fix, buf, sizeof(buf), hash, &before);
	put(fix, buf, sizeof(buf), hash, &before);
	assert_true(before);
	assert_string_equal(count(fix, "blobs"), "1");
	assert_string_equal(count(fix, "chunks"), "1");
}

static void test_pg_blob_chunks_shared(void **state)
{
	struct pgt_fix *fix = *state;
	size_t n = 3 * MIB + 10;
	uint8_t *a = malloc(n), *b = malloc(n), ha[32], hb[32];

	fill(a, n, 3);
	memcpy(b, a, n);
	fill(b + 2 * MIB, n - 2 * MIB, 4); /* same first two chunks */
	put(fix, a, n, ha, NULL);
	put(fix, b, n, hb, NULL);
	assert_string_equal(count(fix, "blobs"), "2");
	assert_string_equal(count(fix, "chunks"), "6");
	free(a);
	free(b);
}

static void test_pg_blob_read_offsets(void **state)
{
	struct pgt_fix *fix = *state;
	size_t n = 2 * MIB + 100;
	uint8_t *buf = malloc(n), out[5000], hash[32];
	const uint64_t offs[] = {0, 1, MIB - 10, MIB, 2 * MIB - 2500, n - 7, n};
	size_t got;

	fill(buf, n, 5);
	put(fix, buf, n, hash, NULL);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		size_t want =
			n - offs[i] < sizeof(out) ? n - offs[i] : sizeof(out);

		assert_int_equal(dfs_pg_blob_read(fix->pg, hash, offs[i], out,
						  sizeof(out), &got),
				 0);
		assert_int_equal(got, want);
		assert_memory_equal(out, buf + offs[i], want);
	}
	hash[0] ^= 1;
	assert_int_equal(
		dfs_pg_blob_read(fix->pg, hash, 0, out, sizeof(out), &got),
		-ENOENT);
	free(buf);
}

static void test_pg_blob_put_wrong_bytes(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t buf[3000] = {0}, hash[32];
	int fd = temp_with(buf, sizeof(buf));

	/* The file does not hold what was hashed: nothing is stored. */
	fill(buf, sizeof(buf), 6);
	hash_of(buf, sizeof(buf), hash);
	assert_int_equal(
		dfs_pg_blob_put_fd(fix->pg, fd, sizeof(buf), hash, NULL),
		-EBADMSG);
	/* Nor is a file shorter than its size. */
	close(fd);
	fd = temp_with(buf, 100);
	assert_int_equal(
		dfs_pg_blob_put_fd(fix->pg, fd, sizeof(buf), hash, NULL),
		-EBADMSG);
	close(fd);
	assert_string_equal(count(fix, "blobs"), "0");
	assert_string_equal(count(fix, "chunks"), "0");
}

static void test_pg_blob_fetch_corrupt(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t buf[5000], out[100], hash[32];
	size_t got;
	int fd;

	fill(buf, sizeof(buf), 7);
	put(fix, buf, sizeof(buf), hash, NULL);
	PQclear(pgt_sql(fix->raw, "UPDATE deployfs.chunks SET data = "
				  "overlay(data PLACING '\\x00'::bytea "
				  "FROM 100 FOR 1)"));
	fd = temp_with("", 0);
	assert_int_equal(dfs_pg_blob_fetch(fix->pg, hash, fd), -EBADMSG);
	close(fd);
	assert_int_equal(
		dfs_pg_blob_read(fix->pg, hash, 0, out, sizeof(out), &got),
		-EBADMSG);
}

static void test_pg_blob_empty(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t hash[32];
	int fd;

	put(fix, (const uint8_t *)"", 0, hash, NULL);
	fd = temp_with("", 0);
	assert_int_equal(dfs_pg_blob_fetch(fix->pg, hash, fd), 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);
	close(fd);
}

static void test_pg_blob_remove(void **state)
{
	struct pgt_fix *fix = *state;
	size_t n = 2 * MIB;
	uint8_t *a = malloc(n), *b = malloc(n), ha[32], hb[32];
	uint64_t freed = 0;

	fill(a, n, 8);
	memcpy(b, a, MIB);
	fill(b + MIB, MIB, 9);
	put(fix, a, n, ha, NULL);
	put(fix, b, n, hb, NULL);
	PQclear(pgt_sql(fix->raw, "INSERT INTO deployfs.blob_refs SELECT hash, "
				  "1, size FROM deployfs.blobs"));
	assert_int_equal(dfs_pg_blob_remove(fix->pg, ha, &freed), -EBUSY);
	PQclear(pgt_sql(fix->raw, "DELETE FROM deployfs.blob_refs"));
	/* The chunk b shares stays. */
	assert_int_equal(dfs_pg_blob_remove(fix->pg, ha, &freed), 0);
	assert_int_equal(freed, MIB);
	assert_string_equal(count(fix, "chunks"), "2");
	assert_int_equal(dfs_pg_blob_remove(fix->pg, ha, &freed), -ENOENT);
	free(a);
	free(b);
}

static void test_pg_blob_gc(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t buf[100], hash[32];
	uint64_t blobs = 9, freed = 9;

	fill(buf, sizeof(buf), 10);
	put(fix, buf, sizeof(buf), hash, NULL);
	/* Young: maybe a deploy's, about to be held. */
	assert_int_equal(dfs_pg_blob_gc(fix->pg, 3600 * 1000, &blobs, &freed),
			 0);
	assert_int_equal(blobs, 0);
	assert_int_equal(freed, 0);
	assert_int_equal(dfs_pg_blob_gc(fix->pg, -1000, &blobs, &freed), 0);
	assert_int_equal(blobs, 1);
	assert_int_equal(freed, sizeof(buf));
	assert_string_equal(count(fix, "chunks"), "0");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_schema_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_blob_put_fetch),
		T(test_pg_blob_put_twice),
		T(test_pg_blob_chunks_shared),
		T(test_pg_blob_read_offsets),
		T(test_pg_blob_put_wrong_bytes),
		T(test_pg_blob_fetch_corrupt),
		T(test_pg_blob_empty),
		T(test_pg_blob_remove),
		T(test_pg_blob_gc),
	};
#undef T

	pgt_main_check("test_pg_blobs");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
