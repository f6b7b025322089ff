/*
 * test_keepcache — when an open keeps, drops or bypasses an inode's
 * cached pages: never one blob's pages for a handle of another, kept only
 * for a proven blob.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keepcache.h"

static const uint8_t A[32] = {1};
static const uint8_t B[32] = {2};

static int setup(void **state)
{
	*state = dfs_keepcache_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	dfs_keepcache_free(*state);
	return 0;
}

static void test_keepcache_first_open_drops_then_proven_keeps(void **state)
{
	struct dfs_keepcache *k = *state;

	/* Nothing known of the inode's pages: drop them. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, true, true);
	/* Its pages are A's and A is proven: keep. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_KEEP);
	dfs_keepcache_close(k, 7, true, true);
	/* Another inode knows nothing yet. */
	assert_int_equal(dfs_keepcache_open(k, 8, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 8, true, true);
}

static void test_keepcache_unproven_drops(void **state)
{
	struct dfs_keepcache *k = *state;

	assert_int_equal(dfs_keepcache_open(k, 7, A, false), DFS_CACHE_DROP);
	/* It read to the end and proved the blob: its pages are checked. */
	dfs_keepcache_close(k, 7, false, true);
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_KEEP);
	dfs_keepcache_close(k, 7, true, true);
	/* Not proven: pages read unproven may be a changed file's. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, false), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, false, true);
}

static void test_keepcache_unproven_reader_taints(void **state)
{
	struct dfs_keepcache *k = *state;

	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, true, true);
	/* A reader unproven at its open fills pages meanwhile. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, false), DFS_CACHE_DROP);
	/* Proven by someone else now, but its pages are not all checked. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, true, true);
	/* It stops half way, never proven: its pages stay suspect. */
	dfs_keepcache_close(k, 7, false, false);
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, true, true);
	/* That open dropped them, with no unproven reader left: clean. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_KEEP);
	dfs_keepcache_close(k, 7, true, true);
}

static void test_keepcache_new_blob_drops(void **state)
{
	struct dfs_keepcache *k = *state;

	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, true, true);
	/* A deploy: the drop box serves B now; A's pages must go. */
	assert_int_equal(dfs_keepcache_open(k, 7, B, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, true, true);
	assert_int_equal(dfs_keepcache_open(k, 7, B, true), DFS_CACHE_KEEP);
	dfs_keepcache_close(k, 7, true, true);
	/* And back (a rollback): A's pages are long gone. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, 7, true, true);
}

static void test_keepcache_other_blob_open_bypasses(void **state)
{
	struct dfs_keepcache *k = *state;

	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_DROP);
	/* A handle of A still reads (and fills pages); B must not see them,
	 * nor fill pages A's handle would then read. */
	assert_int_equal(dfs_keepcache_open(k, 7, B, true), DFS_CACHE_BYPASS);
	assert_int_equal(dfs_keepcache_open(k, 7, B, true), DFS_CACHE_BYPASS);
	/* A second handle of A shares the pages. */
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_KEEP);
	dfs_keepcache_close(k, 7, true, true);
	dfs_keepcache_close(k, 7, true, true);
	/* A's handles are gone: B takes the inode over, dropping A's pages. */
	assert_int_equal(dfs_keepcache_open(k, 7, B, true), DFS_CACHE_DROP);
	assert_int_equal(dfs_keepcache_open(k, 7, A, true), DFS_CACHE_BYPASS);
	dfs_keepcache_close(k, 7, true, true);
}

static void test_keepcache_many_inodes(void **state)
{
	struct dfs_keepcache *k = *state;
	uint64_t n = DFS_KEEPCACHE_IDLE + 100;

	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(dfs_keepcache_open(k, i, A, true),
				 DFS_CACHE_DROP);
		dfs_keepcache_close(k, i, true, true);
	}
	/* The first ones are still known; past the bound, forgotten: dropped. */
	assert_int_equal(dfs_keepcache_open(k, 0, A, true), DFS_CACHE_KEEP);
	dfs_keepcache_close(k, 0, true, true);
	assert_int_equal(dfs_keepcache_open(k, n - 1, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(k, n - 1, true, true);
}

static void test_keepcache_null_ledger_drops(void **state)
{
	(void)state;
	assert_int_equal(dfs_keepcache_open(NULL, 1, A, true), DFS_CACHE_DROP);
	dfs_keepcache_close(NULL, 1, true, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_keepcache_first_open_drops_then_proven_keeps,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepcache_unproven_drops,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_keepcache_unproven_reader_taints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepcache_new_blob_drops,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_keepcache_other_blob_open_bypasses, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_keepcache_many_inodes,
						setup, teardown),
		cmocka_unit_test(test_keepcache_null_ledger_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
