/*
 * test_pg_clock — ids and seqs from one clock under one lock: they grow
 * together in commit order whichever session makes them, even when the
 * stored clock is ahead of the server's, and a rollback hands out none.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg_clock.h"
#include "pgutil.h"
#include "uuid7.h"

static void next_in_txn(struct dfs_pg *pg, uint8_t id[16], uint64_t *seq)
{
	assert_int_equal(dfs_pg_begin(pg), 0);
	assert_int_equal(dfs_pg_clock_next(pg, id, seq), 0);
	assert_int_equal(dfs_pg_commit(pg), 0);
}

static void test_pg_clock_next_grows(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t prev[16], id[16], back[16];
	struct dfs_pg *pg2;
	char s[37];
	uint64_t seq;
	int64_t now;

	assert_int_equal(dfs_pg_open(fix->conninfo, &pg2), 0);
	now = atoll(pgt_value(
		fix->raw, "SELECT (extract(epoch FROM now()) * 1000)::bigint"));
	next_in_txn(fix->pg, prev, &seq);
	assert_int_equal(seq, 1);
	/* The server's clock, within a minute of it. */
	assert_true(llabs((long long)dfs_uuid7_ms(prev) - now) < 60000);
	for (unsigned i = 2; i <= 20; i++) {
		next_in_txn(i % 2 ? fix->pg : pg2, id, &seq);
		assert_int_equal(seq, i);
		assert_true(memcmp(id, prev, 16) > 0);
		dfs_uuid7_format(id, s);
		assert_int_equal(dfs_uuid7_parse(s, back), 0);
		memcpy(prev, id, 16);
	}
	dfs_pg_close(pg2);
}

static void test_pg_clock_next_outside_txn(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t id[16];
	uint64_t seq;

	assert_int_equal(dfs_pg_clock_next(fix->pg, id, &seq), -EINVAL);
}

static void test_pg_clock_rollback_gives_none(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t id[16];
	uint64_t seq;

	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_int_equal(dfs_pg_clock_next(fix->pg, id, &seq), 0);
	assert_int_equal(seq, 1);
	dfs_pg_rollback(fix->pg);
	next_in_txn(fix->pg, id, &seq);
	assert_int_equal(seq, 1);
}

static void test_pg_clock_ahead_of_server(void **state)
{
	struct pgt_fix *fix = *state;
	uint8_t ahead[16], id[16];
	char sql[160], s[37];
	uint64_t seq;
	int64_t now;

	/* Another host's clock ran an hour ahead: ids still grow. */
	now = atoll(pgt_value(
		fix->raw, "SELECT (extract(epoch FROM now()) * 1000)::bigint"));
	dfs_uuid7_next(NULL, (uint64_t)now + 3600 * 1000, ahead);
	dfs_uuid7_format(ahead, s);
	snprintf(sql, sizeof(sql), "UPDATE deployfs.clock SET last_id = '%s'",
		 s);
	PQclear(pgt_sql(fix->raw, sql));
	next_in_txn(fix->pg, id, &seq);
	assert_true(memcmp(id, ahead, 16) > 0);
	assert_int_equal(dfs_uuid7_ms(id), dfs_uuid7_ms(ahead));
}

struct maker {
	const char *conninfo;
	int rc;
};

static const struct dfs_pg_stmt keep = {
	"t_keep", "INSERT INTO t (id, seq) VALUES ($1, $2)"};

/* 50 creates, each keeping its id and seq in the same transaction. */
static void *make_ids(void *arg)
{
	struct maker *m = arg;
	struct dfs_pg_params p;
	struct dfs_pg *pg;
	uint8_t id[16];
	uint64_t seq;

	m->rc = dfs_pg_open(m->conninfo, &pg);
	for (int i = 0; i < 50 && !m->rc; i++) {
		m->rc = dfs_pg_begin(pg);
		if (!m->rc)
			m->rc = dfs_pg_clock_next(pg, id, &seq);
		dfs_pg_params_init(&p);
		dfs_pg_param_uuid(&p, id);
		dfs_pg_param_i64(&p, (int64_t)seq);
		if (!m->rc)
			m->rc = dfs_pg_exec(pg, &keep, &p, NULL);
		if (!m->rc)
			m->rc = dfs_pg_commit(pg);
	}
	dfs_pg_close(pg);
	return NULL;
}

static void test_pg_clock_concurrent(void **state)
{
	struct pgt_fix *fix = *state;
	struct maker m[4];
	pthread_t t[4];

	PQclear(pgt_sql(fix->raw, "CREATE TABLE t (id uuid PRIMARY KEY, "
				  "seq bigint UNIQUE)"));
	for (int i = 0; i < 4; i++) {
		m[i] = (struct maker){fix->conninfo, -1};
		assert_int_equal(pthread_create(&t[i], NULL, make_ids, &m[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(m[i].rc, 0);
	}
	/* Seqs 1..200 without a gap, and ids in the same order. */
	assert_string_equal(
		pgt_value(fix->raw,
			  "SELECT count(*) || '/' || min(seq) || '/' || "
			  "max(seq) FROM t"),
		"200/1/200");
	assert_string_equal(
		pgt_value(
			fix->raw,
			"SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER "
			"BY seq) AS prev FROM t) s WHERE prev >= id"),
		"0");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_schema_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_clock_next_grows),
		T(test_pg_clock_next_outside_txn),
		T(test_pg_clock_rollback_gives_none),
		T(test_pg_clock_ahead_of_server),
		T(test_pg_clock_concurrent),
	};
#undef T

	pgt_main_check("test_pg_clock");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
