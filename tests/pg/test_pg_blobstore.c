/*
 * test_pg_blobstore — payloads through the catalog-held blob store: a
 * blob put on host A is read byte for byte on host B through B's cache,
 * checked on the way; a damaged chunk reads as -EBADMSG and caches
 * nothing; the cache keeps to its size, least recently read first.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "blobs_pg.h"
#include "catalog_pg.h"
#include "pgutil.h"

#define MIB (1u << 20)

/* One host: a store directory with tmp/ and blobs/, its blob store. */
struct host {
	char dir[64];
	int dirfd, tmpfd;
	struct dfs_catalog *cat;
	struct dfs_blobs *blobs;
};

/* @h's store directory, nothing open in it yet. */
static void host_mkdir(struct host *h)
{
	char tmp[96];

	strcpy(h->dir, "/tmp/dfs-pgblobs.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(tmp, sizeof(tmp), "%s/tmp", h->dir);
	assert_int_equal(mkdir(tmp, 0700), 0);
}

/* The catalog and blob store of @h's directory, @cache bytes of copies. */
static void host_attach(struct pgt_fix *fix, struct host *h, uint64_t cache)
{
	char tmp[96];

	snprintf(tmp, sizeof(tmp), "%s/tmp", h->dir);
	h->dirfd = open(h->dir, O_RDONLY | O_DIRECTORY);
	h->tmpfd = open(tmp, O_RDONLY | O_DIRECTORY);
	assert_int_equal(dfs_catalog_open_pg(fix->conninfo, DFS_CATALOG_CREATE,
					     "n", &h->cat, NULL),
			 0);
	assert_int_equal(dfs_blobs_open_pg(fix->conninfo, h->dirfd, h->tmpfd,
					   h->cat, cache, &h->blobs),
			 0);
}

static void host_open(struct pgt_fix *fix, struct host *h, uint64_t cache)
{
	host_mkdir(h);
	host_attach(fix, h, cache);
}

static void host_close(struct host *h)
{
	char cmd[128];

	dfs_blobs_close(h->blobs);
	dfs_catalog_close(h->cat);
	close(h->dirfd);
	close(h->tmpfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", h->dir);
	assert_int_equal(system(cmd), 0);
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static void read_all(struct dfs_blobs *b, const uint8_t hash[32],
		     const uint8_t *want, size_t n)
{
	uint8_t *got = malloc(n + 1);
	int fd;

	assert_int_equal(dfs_blobs_open(b, hash, &fd), 0);
	assert_int_equal(pread(fd, got, n + 1, 0), (ssize_t)n);
	assert_memory_equal(got, want, n);
	close(fd);
	free(got);
}

/* Bytes under @h's blobs/ (the cache), by du. */
static long cached_kib(struct host *h)
{
	char cmd[128];
	long kib = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "du -sk %s/blobs | cut -f1", h->dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%ld", &kib), 1);
	pclose(p);
	return kib;
}

static void test_pg_blobstore_put_on_a_read_on_b(void **state)
{
	struct pgt_fix *fix = *state;
	size_t n = 3 * MIB + 17;
	uint8_t *buf = malloc(n), hash[32];
	struct host a, b;

	host_open(fix, &a, 0);
	host_open(fix, &b, 0);
	fill(buf, n, 1);
	assert_int_equal(dfs_blobs_put_bytes(a.blobs, buf, n, hash), 0);
	assert_true(dfs_blobs_exists(b.blobs, hash));
	assert_int_equal(cached_kib(&b) < 64, true);
	read_all(b.blobs, hash, buf, n);
	/* Now in B's cache, and read from there. */
	assert_true(cached_kib(&b) >= (long)(n / 1024));
	read_all(b.blobs, hash, buf, n);
	host_close(&a);
	host_close(&b);
	free(buf);
}

static void test_pg_blobstore_damaged_chunk(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t buf[5000], hash[32];
	struct host a, b;
	int fd;

	host_open(fix, &a, 0);
	host_open(fix, &b, 0);
	fill(buf, sizeof(buf), 2);
	assert_int_equal(dfs_blobs_put_bytes(a.blobs, buf, sizeof(buf), hash),
			 0);
	PQclear(pgt_sql(fix->raw, "UPDATE deployfs.chunks SET data = "
				  "overlay(data PLACING '\\x00'::bytea "
				  "FROM 10 FOR 1)"));
	assert_int_equal(dfs_blobs_open(b.blobs, hash, &fd), -EBADMSG);
	/* Nothing cached, no temp file left. */
	assert_int_equal(cached_kib(&b) < 16, true);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s/tmp)\"",
			 b.dir);
		assert_int_equal(system(cmd), 0);
	}
	host_close(&a);
	host_close(&b);
}

static void test_pg_blobstore_cache_size(void **state)
{
	struct pgt_fix *fix = *state;
	size_t n = 2 * MIB;
	uint8_t *buf = malloc(n), hash[4][32];
	struct host a, b;

	host_open(fix, &a, 0);
	host_open(fix, &b, 5 * MIB);
	for (int i = 0; i < 4; i++) {
		fill(buf, n, 10 + (uint32_t)i);
		assert_int_equal(dfs_blobs_put_bytes(a.blobs, buf, n, hash[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		fill(buf, n, 10 + (uint32_t)i);
		read_all(b.blobs, hash[i], buf, n);
		/* Never more than its size. */
		assert_true(cached_kib(&b) <= 5 * 1024 + 64);
	}
	/* The first read left first; it is read back from the database. */
	fill(buf, n, 10);
	read_all(b.blobs, hash[0], buf, n);
	host_close(&a);
	host_close(&b);
	free(buf);
}

/* An old file of @size bytes at @h's blobs/@name. */
static void stray(struct host *h, const char *name, size_t size)
{
	struct timespec old[2] = {{1, 0}, {1, 0}};
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/blobs", h->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/blobs/%.2s", h->dir, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", h->dir, name, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(futimens(fd, old), 0);
	close(fd);
}

static bool cached(struct host *h, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", h->dir, name, name);
	return access(path, F_OK) == 0;
}

static void test_pg_blobstore_cache_evicts_only_blobs(void **state)
{
	/* 70 characters: cut to fit 64-digit names, it named the victim. */
	static const char *const longname =
		"abababababababababababababababababababababababababababababab"
		"ababababab";
	char victim[69];
	struct pgt_fix *fix = *state;
	size_t n = 2 * MIB;
	uint8_t *buf = malloc(n), hash[3][32];
	struct host a, b;

	snprintf(victim, sizeof(victim), "%.68s", longname);
	host_open(fix, &a, 0);
	/* The oldest files of b's cache, counted in it, and no blobs. */
	host_mkdir(&b);
	stray(&b, longname, MIB);
	stray(&b, victim, MIB);
	host_attach(fix, &b, MIB);
	for (int i = 0; i < 3; i++) {
		fill(buf, n, 20 + (uint32_t)i);
		assert_int_equal(dfs_blobs_put_bytes(a.blobs, buf, n, hash[i]),
				 0);
		read_all(b.blobs, hash[i], buf, n);
	}
	/* Far over its size, it evicted its own copies, not these. */
	assert_true(cached(&b, longname));
	assert_true(cached(&b, victim));
	host_close(&a);
	host_close(&b);
	free(buf);
}

static void test_pg_blobstore_remove(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t buf[100], hash[32];
	struct host a, b;
	int fd;

	host_open(fix, &a, 0);
	host_open(fix, &b, 0);
	fill(buf, sizeof(buf), 3);
	assert_int_equal(dfs_blobs_put_bytes(a.blobs, buf, sizeof(buf), hash),
			 0);
	assert_int_equal(dfs_blobs_remove(a.blobs, hash), 0);
	assert_false(dfs_blobs_exists(b.blobs, hash));
	assert_int_equal(dfs_blobs_open(b.blobs, hash, &fd), -ENOENT);
	host_close(&a);
	host_close(&b);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_blobstore_put_on_a_read_on_b),
		T(test_pg_blobstore_damaged_chunk),
		T(test_pg_blobstore_cache_size),
		T(test_pg_blobstore_cache_evicts_only_blobs),
		T(test_pg_blobstore_remove),
	};
#undef T

	pgt_main_check("test_pg_blobstore");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
