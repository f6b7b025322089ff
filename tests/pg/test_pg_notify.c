/*
 * test_pg_notify — a notification queued in a transaction reaches a
 * listener at commit and never after a rollback; a listener that lost
 * its session says so and listens again after reconnecting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg_notify.h"
#include "pgutil.h"

struct seen {
	unsigned n;
	char last[64];
};

static int collect(void *arg, const struct dfs_pg_note *note)
{
	struct seen *s = arg;

	assert_string_equal(note->channel, DFS_PG_CHANNEL);
	snprintf(s->last, sizeof(s->last), "%s", note->payload);
	s->n++;
	return 0;
}

/* Wait (generously) until @want notifications have arrived. */
static void wait_for(struct dfs_pg *l, struct seen *s, unsigned want)
{
	for (int i = 0; i < 100 && s->n < want; i++)
		assert_int_equal(dfs_pg_notify_wait(l, 100, collect, s, NULL),
				 0);
	assert_int_equal(s->n, want);
}

static int listen_again(void *arg, struct dfs_pg *pg)
{
	(void)arg;
	return dfs_pg_listen(pg, DFS_PG_CHANNEL);
}

static struct dfs_pg *listener(struct pgt_fix *fix)
{
	struct dfs_pg *l;

	assert_int_equal(dfs_pg_open(fix->conninfo, &l), 0);
	dfs_pg_on_connect(l, listen_again, NULL);
	assert_int_equal(dfs_pg_connect(l), 0);
	return l;
}

static void test_pg_notify_at_commit(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg *l = listener(fix);
	struct seen s = {0};

	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_int_equal(dfs_pg_notify(fix->pg, DFS_PG_CHANNEL, "rolled"), 0);
	dfs_pg_rollback(fix->pg);
	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_int_equal(dfs_pg_notify(fix->pg, DFS_PG_CHANNEL, "one"), 0);
	assert_int_equal(dfs_pg_commit(fix->pg), 0);
	wait_for(l, &s, 1);
	/* The first to arrive is the committed one: none for a rollback. */
	assert_string_equal(s.last, "one");
	/* Outside a transaction it is sent at once. */
	assert_int_equal(dfs_pg_notify(fix->pg, DFS_PG_CHANNEL, "two"), 0);
	wait_for(l, &s, 2);
	assert_string_equal(s.last, "two");
	dfs_pg_close(l);
}

static void test_pg_notify_wait_timeout(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg *l = listener(fix);
	struct seen s = {0};
	unsigned n = 9;

	assert_int_equal(dfs_pg_notify_wait(l, 10, collect, &s, &n), 0);
	assert_int_equal(n, 0);
	dfs_pg_close(l);
}

static void test_pg_notify_too_long(void **state)
{
	struct pgt_fix *fix = *state;
	char *big = malloc(9000);

	memset(big, 'x', 8999);
	big[8999] = '\0';
	assert_int_equal(dfs_pg_notify(fix->pg, DFS_PG_CHANNEL, big), -E2BIG);
	free(big);
}

static void test_pg_notify_lost_listener(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg *l = listener(fix);
	struct seen s = {0};
	char sql[96];
	int rc = 0;

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
		 PQbackendPID(dfs_pg_conn(l)));
	assert_string_equal(pgt_value(fix->raw, sql), "t");
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = dfs_pg_notify_wait(l, 100, collect, &s, NULL);
	assert_int_equal(rc, -EIO);
	/* Reconnecting listens again (the on-connect hook). */
	assert_int_equal(dfs_pg_connect(l), 0);
	assert_int_equal(dfs_pg_notify(fix->pg, DFS_PG_CHANNEL, "back"), 0);
	wait_for(l, &s, 1);
	assert_string_equal(s.last, "back");
	dfs_pg_close(l);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_notify_at_commit),
		T(test_pg_notify_wait_timeout),
		T(test_pg_notify_too_long),
		T(test_pg_notify_lost_listener),
	};
#undef T

	pgt_main_check("test_pg_notify");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
