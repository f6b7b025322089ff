/*
 * test_pg_conn — the libpq floor: connection strings, errors translated
 * to -errno in one place, binary parameters and results, transactions,
 * reconnection after the server drops the session, and whole queries
 * (dfs_pg_query: rows to a callback, the lock, the same errors).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg.h"
#include "pgutil.h"

static void kill_session(struct pgt_fix *fix)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
		 PQbackendPID(dfs_pg_conn(fix->pg)));
	assert_string_equal(pgt_value(fix->raw, sql), "t");
}

static void test_pg_open_bad_conninfo(void **state)
{
	struct dfs_pg *pg = NULL;

	(void)state;
	assert_int_equal(dfs_pg_open("host=x nonsense_keyword=1", &pg),
			 -EINVAL);
	assert_int_equal(dfs_pg_open("postgresql://[bad", &pg), -EINVAL);
	assert_null(pg);
}

static void test_pg_open_uri(void **state)
{
	struct dfs_pg *pg;

	(void)state;
	/* A URI parses; the server is reached only by the first call. */
	assert_int_equal(
		dfs_pg_open("postgresql:///nodb?host=/nonexistent-dir", &pg),
		0);
	assert_false(dfs_pg_connected(pg));
	dfs_pg_close(pg);
}

static void test_pg_connect_unreachable(void **state)
{
	struct dfs_pg *pg;

	(void)state;
	assert_int_equal(dfs_pg_open("host=/nonexistent-dir port=1", &pg), 0);
	assert_int_equal(dfs_pg_connect(pg), -EIO);
	assert_true(strlen(dfs_pg_error(pg)) > 0);
	assert_int_equal(dfs_pg_exec_sql(pg, "SELECT 1"), -EIO);
	dfs_pg_close(pg);
}

static void test_pg_connect_no_database(void **state)
{
	struct pgt_fix *fix = *state;
	char ci[1100];
	struct dfs_pg *pg;

	snprintf(ci, sizeof(ci), "%s dbname=no_such_db", fix->conninfo);
	assert_int_equal(dfs_pg_open(ci, &pg), 0);
	assert_int_equal(dfs_pg_connect(pg), -ENOENT);
	dfs_pg_close(pg);
}

static void test_pg_errno_table(void **state)
{
	(void)state;
	assert_int_equal(dfs_pg_errno(NULL), -EIO);
	assert_int_equal(dfs_pg_errno("08006"), -EIO);
	assert_int_equal(dfs_pg_errno("57P01"), -EIO);
	assert_int_equal(dfs_pg_errno("23505"), -EEXIST);
	assert_int_equal(dfs_pg_errno("23503"), -ENOENT);
	assert_int_equal(dfs_pg_errno("23514"), -EINVAL);
	assert_int_equal(dfs_pg_errno("22P02"), -EINVAL);
	assert_int_equal(dfs_pg_errno("40001"), -EAGAIN);
	assert_int_equal(dfs_pg_errno("40P01"), -EAGAIN);
	assert_int_equal(dfs_pg_errno("55P03"), -EBUSY);
	assert_int_equal(dfs_pg_errno("53100"), -ENOSPC);
	assert_int_equal(dfs_pg_errno("53200"), -ENOMEM);
	assert_int_equal(dfs_pg_errno("57014"), -ETIMEDOUT);
	assert_int_equal(dfs_pg_errno("28P01"), -EACCES);
	assert_int_equal(dfs_pg_errno("42501"), -EACCES);
	assert_int_equal(dfs_pg_errno("3D000"), -ENOENT);
	assert_int_equal(dfs_pg_errno("42P01"), -ENOENT);
	assert_int_equal(dfs_pg_errno("54000"), -E2BIG);
	assert_int_equal(dfs_pg_errno("XX000"), -EIO);
}

static const struct dfs_pg_stmt ins = {
	"t_ins", "INSERT INTO t (k, b, u, f, s) VALUES ($1, $2, $3, $4, $5)"};
static const struct dfs_pg_stmt sel = {
	"t_sel", "SELECT k, b, u, f, s, length(b), n FROM t WHERE k = $1"};

static void test_pg_exec_binary_roundtrip(void **state)
{
	struct pgt_fix *fix = *state;
	const uint8_t bytes[] = {0, 1, 0xff, '\\', 0, 'x'};
	uint8_t id[16], got[16];
	struct dfs_pg_params p;
	const char *b;
	PGresult *r;
	size_t len;

	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)(0xf0 - i);
	PQclear(pgt_sql(fix->raw,
			"CREATE TABLE t (k bigint PRIMARY KEY, b bytea, "
			"u uuid, f boolean, s text, n integer DEFAULT -7)"));
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, -5000000000LL);
	dfs_pg_param_bytes(&p, bytes, sizeof(bytes));
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_bool(&p, true);
	dfs_pg_param_text(&p, "héllo 'quoted'");
	assert_int_equal(dfs_pg_exec(fix->pg, &ins, &p, NULL), 0);

	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, -5000000000LL);
	assert_int_equal(dfs_pg_exec(fix->pg, &sel, &p, &r), 0);
	assert_int_equal(PQntuples(r), 1);
	assert_int_equal(dfs_pg_i64(r, 0, 0), -5000000000LL);
	b = dfs_pg_bytes(r, 0, 1, &len);
	assert_int_equal(len, sizeof(bytes));
	assert_memory_equal(b, bytes, sizeof(bytes));
	assert_int_equal(dfs_pg_uuid(r, 0, 2, got), 0);
	assert_memory_equal(got, id, 16);
	assert_true(dfs_pg_bool(r, 0, 3));
	b = dfs_pg_bytes(r, 0, 4, &len);
	assert_int_equal(len, strlen("héllo 'quoted'"));
	assert_memory_equal(b, "héllo 'quoted'", len);
	assert_int_equal(dfs_pg_i32(r, 0, 5), (int32_t)sizeof(bytes));
	assert_int_equal(dfs_pg_i32(r, 0, 6), -7);
	PQclear(r);

	/* NULL parameters are SQL NULLs; a NULL uuid field is -EBADMSG. */
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, 1);
	dfs_pg_param_bytes(&p, NULL, 0);
	dfs_pg_param_uuid(&p, NULL);
	dfs_pg_param_bool(&p, false);
	dfs_pg_param_text(&p, NULL);
	assert_int_equal(dfs_pg_exec(fix->pg, &ins, &p, NULL), 0);
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, 1);
	assert_int_equal(dfs_pg_exec(fix->pg, &sel, &p, &r), 0);
	assert_true(dfs_pg_isnull(r, 0, 1));
	assert_int_equal(dfs_pg_uuid(r, 0, 2, got), -EBADMSG);
	assert_true(dfs_pg_isnull(r, 0, 4));
	PQclear(r);
}

static void test_pg_exec_unique_violation(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_params p;
	uint8_t id[16] = {0};

	PQclear(pgt_sql(fix->raw,
			"CREATE TABLE t (k bigint PRIMARY KEY, b bytea, "
			"u uuid, f boolean, s text, n integer)"));
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, 7);
	dfs_pg_param_bytes(&p, "x", 1);
	dfs_pg_param_uuid(&p, id);
	dfs_pg_param_bool(&p, false);
	dfs_pg_param_text(&p, "a");
	assert_int_equal(dfs_pg_exec(fix->pg, &ins, &p, NULL), 0);
	assert_int_equal(dfs_pg_exec(fix->pg, &ins, &p, NULL), -EEXIST);
	assert_non_null(strstr(dfs_pg_error(fix->pg), "duplicate key"));
	/* The connection goes on. */
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "SELECT 1"), 0);
}

static void test_pg_exec_no_table(void **state)
{
	struct pgt_fix *fix = *state;

	/* t does not exist: the prepare fails, and is tried again later. */
	assert_int_equal(dfs_pg_exec(fix->pg, &sel, NULL, NULL), -ENOENT);
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "SELECT * FROM nope"),
			 -ENOENT);
}

static void test_pg_txn_rollback(void **state)
{
	struct pgt_fix *fix = *state;

	PQclear(pgt_sql(fix->raw, "CREATE TABLE c (v int)"));
	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_true(dfs_pg_in_txn(fix->pg));
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (1)"),
			 0);
	dfs_pg_rollback(fix->pg);
	assert_false(dfs_pg_in_txn(fix->pg));
	assert_string_equal(pgt_value(fix->raw, "SELECT count(*) FROM c"), "0");
	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (1)"),
			 0);
	assert_int_equal(dfs_pg_commit(fix->pg), 0);
	assert_string_equal(pgt_value(fix->raw, "SELECT count(*) FROM c"), "1");
}

static void test_pg_commit_failed_txn(void **state)
{
	struct pgt_fix *fix = *state;

	PQclear(pgt_sql(fix->raw, "CREATE TABLE c (v int PRIMARY KEY)"));
	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (1)"),
			 0);
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (1)"),
			 -EEXIST);
	/* The server rolled it back: COMMIT must not report success. */
	assert_int_equal(dfs_pg_commit(fix->pg), -EIO);
	assert_string_equal(pgt_value(fix->raw, "SELECT count(*) FROM c"), "0");
}

static int count_connects(void *arg, struct dfs_pg *pg)
{
	(void)pg;
	(*(int *)arg)++;
	return 0;
}

static const struct dfs_pg_stmt one = {"t_one", "SELECT $1::bigint + 1"};

static void test_pg_reconnect_after_drop(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_params p;
	int connects = 0;
	PGresult *r;

	dfs_pg_on_connect(fix->pg, count_connects, &connects);
	dfs_pg_params_init(&p);
	dfs_pg_param_i64(&p, 41);
	assert_int_equal(dfs_pg_exec(fix->pg, &one, &p, NULL), 0);
	assert_int_equal(connects, 1);
	kill_session(fix);
	/* The call that finds the session gone fails; none is retried. */
	assert_int_equal(dfs_pg_exec(fix->pg, &one, &p, NULL), -EIO);
	assert_false(dfs_pg_connected(fix->pg));
	/* The next reconnects, runs the hook and prepares again. */
	assert_int_equal(dfs_pg_exec(fix->pg, &one, &p, &r), 0);
	assert_int_equal(dfs_pg_i64(r, 0, 0), 42);
	PQclear(r);
	assert_int_equal(connects, 2);
}

static void test_pg_reconnect_not_inside_txn(void **state)
{
	struct pgt_fix *fix = *state;

	PQclear(pgt_sql(fix->raw, "CREATE TABLE c (v int)"));
	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (1)"),
			 0);
	kill_session(fix);
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (2)"),
			 -EIO);
	/* No new session may carry on half a transaction. */
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (3)"),
			 -EIO);
	assert_int_equal(dfs_pg_commit(fix->pg), -EIO);
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "INSERT INTO c VALUES (4)"),
			 0);
	assert_string_equal(pgt_value(fix->raw, "SELECT string_agg(v::text, "
						"',') FROM c"),
			    "4");
}

static int refuse(void *arg, struct dfs_pg *pg)
{
	(void)arg;
	dfs_pg_set_error(pg, "refused by the hook");
	return -EBUSY;
}

static void test_pg_on_connect_error(void **state)
{
	struct pgt_fix *fix = *state;

	dfs_pg_on_connect(fix->pg, refuse, NULL);
	assert_int_equal(dfs_pg_connect(fix->pg), -EBUSY);
	assert_false(dfs_pg_connected(fix->pg));
	assert_string_equal(dfs_pg_error(fix->pg), "refused by the hook");
}

/* Rows seen by a dfs_pg_query callback, and whether the lock was free. */
struct seen {
	pthread_mutex_t *lock;
	int32_t v[8];
	int n;
	int stop_at; /* the call that returns -ECANCELED; 0: none */
	bool locked;
};

static int seen_row(void *arg, const PGresult *r, int row)
{
	struct seen *s = arg;

	if (s->lock) {
		if (pthread_mutex_trylock(s->lock) != 0)
			s->locked = true;
		else
			pthread_mutex_unlock(s->lock);
	}
	assert_true(s->n < 8);
	s->v[s->n++] = dfs_pg_i32(r, row, 0);
	return s->n == s->stop_at ? -ECANCELED : 0;
}

static const struct dfs_pg_stmt q_all = {"t_q_all",
					 "SELECT v FROM q ORDER BY v"};
static const struct dfs_pg_stmt q_none = {"t_q_none",
					  "SELECT v FROM q WHERE v < 0"};
static const struct dfs_pg_stmt q_ins = {"t_q_ins",
					 "INSERT INTO q (v) VALUES ($1)"};
static const struct dfs_pg_stmt q_div = {"t_q_div", "SELECT 1 / $1"};

static void make_q(struct pgt_fix *fix)
{
	PQclear(pgt_sql(fix->raw,
			"CREATE TABLE q (v int PRIMARY KEY); "
			"INSERT INTO q SELECT generate_series(1, 5)"));
}

static void test_pg_query_rows_in_order(void **state)
{
	struct pgt_fix *fix = *state;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct seen s = {.lock = &lock};
	unsigned rows = 99;

	make_q(fix);
	assert_int_equal(
		dfs_pg_query(fix->pg, &lock, &q_all, NULL, seen_row, &s, &rows),
		0);
	assert_int_equal(rows, 5);
	assert_int_equal(s.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(s.v[i], i + 1);
	/* The lock covers the statement, not the callback, and is let go. */
	assert_false(s.locked);
	assert_int_equal(pthread_mutex_trylock(&lock), 0);
	pthread_mutex_unlock(&lock);
	/* No callback: only the count. */
	assert_int_equal(
		dfs_pg_query(fix->pg, NULL, &q_none, NULL, NULL, NULL, &rows),
		0);
	assert_int_equal(rows, 0);
}

static void test_pg_query_callback_error_stops(void **state)
{
	struct pgt_fix *fix = *state;
	struct seen s = {.stop_at = 3};
	unsigned rows = 99;

	make_q(fix);
	assert_int_equal(
		dfs_pg_query(fix->pg, NULL, &q_all, NULL, seen_row, &s, &rows),
		-ECANCELED);
	assert_int_equal(s.n, 3);
	assert_int_equal(rows, 5);
	/* The connection goes on. */
	assert_int_equal(dfs_pg_exec_sql(fix->pg, "SELECT 1"), 0);
}

/* What the header promises: SQLSTATEs become -errno, the lock is freed. */
static void test_pg_query_errors_translated(void **state)
{
	struct pgt_fix *fix = *state;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct seen s = {0};
	struct dfs_pg_params p;
	unsigned rows = 99;

	/* 42P01, no such table. */
	assert_int_equal(
		dfs_pg_query(fix->pg, &lock, &q_all, NULL, seen_row, &s, &rows),
		-ENOENT);
	assert_int_equal(pthread_mutex_trylock(&lock), 0);
	pthread_mutex_unlock(&lock);
	make_q(fix);
	/* 23505, unique violation. */
	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, 1);
	assert_int_equal(
		dfs_pg_query(fix->pg, &lock, &q_ins, &p, NULL, NULL, &rows),
		-EEXIST);
	/* 22012, division by zero: a data exception. */
	dfs_pg_params_init(&p);
	dfs_pg_param_i32(&p, 0);
	assert_int_equal(dfs_pg_query_one(fix->pg, &lock, &q_div, &p, -ENOENT,
					  seen_row, &s),
			 -EINVAL);
	assert_non_null(strstr(dfs_pg_error(fix->pg), "division by zero"));
	/* A session lost under the call. */
	kill_session(fix);
	assert_int_equal(
		dfs_pg_query(fix->pg, &lock, &q_all, NULL, seen_row, &s, &rows),
		-EIO);
	assert_int_equal(pthread_mutex_trylock(&lock), 0);
	pthread_mutex_unlock(&lock);
	/* Failed calls read no row and leave *rows alone. */
	assert_int_equal(s.n, 0);
	assert_int_equal(rows, 99);
}

static void test_pg_query_one(void **state)
{
	struct pgt_fix *fix = *state;
	struct seen s = {0};

	make_q(fix);
	/* No row: the caller's word for it, and no callback. */
	assert_int_equal(dfs_pg_query_one(fix->pg, NULL, &q_none, NULL, -ESTALE,
					  seen_row, &s),
			 -ESTALE);
	assert_int_equal(
		dfs_pg_query_one(fix->pg, NULL, &q_none, NULL, 0, seen_row, &s),
		0);
	assert_int_equal(s.n, 0);
	/* Rows: the first one only. */
	assert_int_equal(dfs_pg_query_one(fix->pg, NULL, &q_all, NULL, -ESTALE,
					  seen_row, &s),
			 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0], 1);
	assert_int_equal(dfs_pg_query_one(fix->pg, NULL, &q_all, NULL, -ESTALE,
					  NULL, NULL),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_open_bad_conninfo),
		cmocka_unit_test(test_pg_open_uri),
		cmocka_unit_test(test_pg_connect_unreachable),
		cmocka_unit_test(test_pg_errno_table),
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
		T(test_pg_connect_no_database),
		T(test_pg_exec_binary_roundtrip),
		T(test_pg_exec_unique_violation),
		T(test_pg_exec_no_table),
		T(test_pg_txn_rollback),
		T(test_pg_commit_failed_txn),
		T(test_pg_reconnect_after_drop),
		T(test_pg_reconnect_not_inside_txn),
		T(test_pg_on_connect_error),
		T(test_pg_query_rows_in_order),
		T(test_pg_query_callback_error_stops),
		T(test_pg_query_errors_translated),
		T(test_pg_query_one),
#undef T
	};

	pgt_main_check("test_pg_conn");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
