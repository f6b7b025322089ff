/*
 * test_pg_lease — one daemon per node name: a second session is refused
 * while the first lives, a dead session's lease is free at once, and
 * every take starts a new epoch.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg_lease.h"
#include "pgutil.h"
#include "pg_schema.h"

/* Long enough for a closed session to end on the server. */
#define WAIT 10000

static struct dfs_pg *second(struct pgt_fix *fix)
{
	struct dfs_pg *pg;

	assert_int_equal(dfs_pg_open(fix->conninfo, &pg), 0);
	return pg;
}

static void test_pg_lease_take_refused_twice(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_lease a, b;
	struct dfs_pg *pg2 = second(fix);

	assert_int_equal(dfs_pg_lease_take(fix->pg, "build-1", 0, &a), 0);
	assert_int_equal(a.epoch, 1);
	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &b), -EBUSY);
	assert_non_null(strstr(dfs_pg_error(pg2), "'build-1'"));
	/* Another name is another lease. */
	assert_int_equal(dfs_pg_lease_take(pg2, "build-2", 0, &b), 0);
	assert_int_not_equal(a.node_id, b.node_id);
	dfs_pg_close(pg2);
}

static void test_pg_lease_take_after_close(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_lease a, b;
	struct dfs_pg *pg2 = second(fix);
	bool current;

	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &a), 0);
	/* The daemon dies: its session ends, and the lease with it. */
	dfs_pg_close(pg2);
	assert_int_equal(dfs_pg_lease_take(fix->pg, "build-1", WAIT, &b), 0);
	assert_int_equal(b.node_id, a.node_id);
	assert_int_equal(b.epoch, a.epoch + 1);
	assert_int_equal(dfs_pg_lease_current(fix->pg, &a, &current), 0);
	assert_false(current);
	assert_int_equal(dfs_pg_lease_current(fix->pg, &b, &current), 0);
	assert_true(current);
}

static void test_pg_lease_lost_with_session(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_lease a, b;
	struct dfs_pg *pg2 = second(fix);
	char sql[96];

	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &a), 0);
	/* The server drops the session (a partition, a restart). */
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
		 PQbackendPID(dfs_pg_conn(pg2)));
	assert_string_equal(pgt_value(fix->raw, sql), "t");
	assert_int_equal(dfs_pg_lease_take(fix->pg, "build-1", WAIT, &b), 0);
	/* The cut-off node cannot take it back while it is held. */
	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &a), -EIO);
	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &a), -EBUSY);
	dfs_pg_close(pg2);
}

static void test_pg_lease_try_dead_node(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_lease a, c;
	struct dfs_pg *pg2 = second(fix);
	bool got;

	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &a), 0);
	/* Alive: another daemon cannot take its lock. */
	assert_int_equal(dfs_pg_lease_try(fix->pg, a.node_id, &got), 0);
	assert_false(got);
	dfs_pg_close(pg2);
	/* Dead: the recovering daemon holds it while it recovers... */
	got = false;
	for (int i = 0; i < 200 && !got; i++) {
		assert_int_equal(dfs_pg_lease_try(fix->pg, a.node_id, &got), 0);
		if (!got)
			usleep(50000);
	}
	assert_true(got);
	pg2 = second(fix);
	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &c), -EBUSY);
	/* ...and the node comes back once it is done. */
	assert_int_equal(dfs_pg_lease_drop(fix->pg, a.node_id), 0);
	assert_int_equal(dfs_pg_lease_take(pg2, "build-1", 0, &c), 0);
	assert_int_equal(c.epoch, a.epoch + 1);
	dfs_pg_close(pg2);
}

static void test_pg_lease_take_empty_name(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_lease a;

	assert_int_equal(dfs_pg_lease_take(fix->pg, "", 0, &a), -EINVAL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_schema_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_lease_take_refused_twice),
		T(test_pg_lease_take_after_close),
		T(test_pg_lease_lost_with_session),
		T(test_pg_lease_try_dead_node),
		T(test_pg_lease_take_empty_name),
	};
#undef T

	pgt_main_check("test_pg_lease");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
