/*
 * test_gc — dfs_gc_orphans: blob files no record refers to and temp files
 * left in STORE/tmp. While a daemon holds the store (this test's own
 * exclusive open, or another holder of daemon.lock) tmp/ is left alone
 * and a fresh orphan blob is spared; with nobody holding it both go.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "payload.h"
#include "blobs.h"
#include "gc.h"
#include "maintutil.h"
#include "record.h"

/* A blob file nobody refers to: random hash, @n bytes. */
static void orphan_blob(struct tu_fix *fix, size_t n, uint32_t seed,
			uint8_t hash[32], char *path)
{
	char dir[PATH_MAX];
	uint8_t *buf = malloc(n);

	assert_non_null(buf);
	tu_fill(hash, 32, seed);
	tu_blob_path(fix, hash, path);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	tu_fill(buf, n, seed);
	assert_int_equal(tu_write_file(path, buf, n), 0);
	free(buf);
}

/* A file of @n bytes in STORE/tmp. */
static void temp_file(struct tu_fix *fix, const char *name, size_t n,
		      char *path)
{
	uint8_t buf[4096];

	assert_true(n <= sizeof(buf));
	tu_fill(buf, n, 7);
	tu_path(path, "%s/tmp/%s", fix->dir, name);
	assert_int_equal(tu_write_file(path, buf, n), 0);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void gc(struct tu_fix *fix, bool dry_run, struct dfs_orphans *o)
{
	memset(o, 0x5a, sizeof(*o));
	assert_int_equal(dfs_gc_orphans(fix->st, dry_run, o), 0);
}

static void test_gc_orphans_nothing(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_orphans o;

	gc(fix, false, &o);
	assert_int_equal(o.blobs, 0);
	assert_int_equal(o.blob_bytes, 0);
	assert_int_equal(o.temps, 0);
	assert_int_equal(o.temp_bytes, 0);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	gc(fix, false, &o);
	assert_int_equal(o.blobs + o.temps, 0);
	assert_false(o.daemon);
}

static void test_gc_orphans_grace_while_exclusive(void **state)
{
	struct tu_fix *fix = *state;
	char blob[PATH_MAX], tmp[PATH_MAX];
	struct dfs_record rec;
	struct dfs_orphans o;
	uint8_t hash[32];

	tu_deploy(fix, "web", 1, &rec);
	orphan_blob(fix, 3000, 1, hash, blob);
	temp_file(fix, "upload.XXXXXX", 100, tmp);
	/* The test's store is opened exclusive: it is the daemon. */
	gc(fix, false, &o);
	assert_true(o.daemon);
	assert_int_equal(o.blobs, 0);
	assert_int_equal(o.blob_bytes, 0);
	assert_int_equal(o.temps, 0);
	assert_int_equal(o.temp_bytes, 0);
	assert_true(exists(blob));
	assert_true(exists(tmp));
	assert_true(tu_blob_file_exists(fix, rec.payload_hash));
}

static void test_gc_orphans_no_daemon(void **state)
{
	struct tu_fix *fix = *state;
	char blob[PATH_MAX], tmp[PATH_MAX];
	struct dfs_record rec[2];
	struct dfs_orphans o;
	uint8_t hash[32];

	tu_deploy(fix, "web", 1, &rec[0]);
	tu_deploy(fix, "api", 2, &rec[1]);
	orphan_blob(fix, 3000, 1, hash, blob);
	temp_file(fix, "upload.XXXXXX", 100, tmp);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	gc(fix, false, &o);
	assert_false(o.daemon);
	assert_int_equal(o.blobs, 1);
	assert_int_equal(o.blob_bytes, 3000);
	assert_int_equal(o.temps, 1);
	assert_int_equal(o.temp_bytes, 100);
	assert_false(exists(blob));
	assert_false(exists(tmp));
	/* Referenced blobs are never removed. */
	assert_true(tu_blob_file_exists(fix, rec[0].payload_hash));
	assert_true(tu_blob_file_exists(fix, rec[1].payload_hash));
	assert_int_equal(tu_count_blobs(fix->dir), 2);
	/* Nothing left the second time. */
	gc(fix, false, &o);
	assert_int_equal(o.blobs + o.temps, 0);
}

static void test_gc_orphans_dry_run(void **state)
{
	struct tu_fix *fix = *state;
	char blob[2][PATH_MAX], tmp[PATH_MAX];
	struct dfs_record rec;
	struct dfs_orphans o;
	uint8_t hash[32];

	tu_deploy(fix, "web", 1, &rec);
	orphan_blob(fix, 3000, 1, hash, blob[0]);
	orphan_blob(fix, 500, 2, hash, blob[1]);
	temp_file(fix, "a", 10, tmp);
	temp_file(fix, "b", 20, tmp);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	gc(fix, true, &o);
	assert_false(o.daemon);
	assert_int_equal(o.blobs, 2);
	assert_int_equal(o.blob_bytes, 3500);
	assert_int_equal(o.temps, 2);
	assert_int_equal(o.temp_bytes, 30);
	assert_true(exists(blob[0]));
	assert_true(exists(blob[1]));
	assert_int_equal(tu_count_tmp(fix->dir), 2);
	assert_int_equal(tu_count_blobs(fix->dir), 3);
	/* What the dry run counted is what the real one removes. */
	gc(fix, false, &o);
	assert_int_equal(o.blobs, 2);
	assert_int_equal(o.blob_bytes, 3500);
	assert_int_equal(o.temps, 2);
	assert_int_equal(o.temp_bytes, 30);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	assert_int_equal(tu_count_blobs(fix->dir), 1);
}

static void test_gc_orphans_other_daemon(void **state)
{
	struct tu_fix *fix = *state;
	char blob[PATH_MAX], tmp[PATH_MAX], lock[PATH_MAX];
	struct dfs_orphans o;
	uint8_t hash[32];
	int fd;

	orphan_blob(fix, 3000, 1, hash, blob);
	temp_file(fix, "upload.XXXXXX", 100, tmp);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	/* Someone else serves the store: it holds daemon.lock. */
	tu_path(lock, "%s/daemon.lock", fix->dir);
	fd = open(lock, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	gc(fix, false, &o);
	assert_true(o.daemon);
	assert_int_equal(o.blobs + o.temps, 0);
	assert_true(exists(blob));
	assert_true(exists(tmp));
	close(fd);
	gc(fix, false, &o);
	assert_false(o.daemon);
	assert_int_equal(o.blobs, 1);
	assert_int_equal(o.temps, 1);
}

static void test_gc_orphans_dropped_payload(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b;
	struct dfs_orphans o;
	struct dfs_who who;
	uint64_t freed;

	/* A blob still held by one record after another dropped it. */
	tu_who(&who);
	tu_deploy(fix, "web", 1, &a);
	tu_deploy(fix, "api", 1, &b);
	assert_int_equal(
		dfs_payload_drop(fix->st, a.id, DFS_DROP_ASKED, &who, &freed),
		0);
	assert_int_equal(tu_reopen(fix, 0, 0), 0);
	gc(fix, false, &o);
	assert_int_equal(o.blobs, 0);
	assert_true(tu_blob_file_exists(fix, b.payload_hash));
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_gc_orphans_nothing),
		T(test_gc_orphans_grace_while_exclusive),
		T(test_gc_orphans_no_daemon),
		T(test_gc_orphans_dry_run),
		T(test_gc_orphans_other_daemon),
		T(test_gc_orphans_dropped_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
