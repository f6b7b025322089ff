/*
 * test_pg_scan — keyset pages list every record once, in order, and the
 * queries behind them are served by the index of their scope from the
 * first row: at 10^5 records with realistic statistics (ANALYZE), a
 * generic plan (what a prepared statement ends up with) and custom plans
 * for a large and a small project never scan the table, never sort, and
 * never walk the primary key filtering by project.
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

#include "pgutil.h"
#include "pg_scan.h"
#include "pg_schema.h"

#define N 100000

/*
 * One node, ten projects: pseq 1 holds 90% of the records, pseq 2 one in
 * a thousand, the rest share what is left. Ids are increasing v7 ids.
 */
static int fill_setup(void **state)
{
	struct pgt_fix *fix;

	pgt_schema_setup(state);
	fix = *state;
	PQclear(pgt_sql(
		fix->raw,
		"INSERT INTO deployfs.projects (pseq, name, uid, gid, mode, "
		"created_ms, ctime_ms) SELECT g, 'p' || g, 0, 0, 420, 0, 0 "
		"FROM generate_series(1, 10) g;"
		"INSERT INTO deployfs.records (id, seq, pseq, version, status, "
		"held, body) SELECT ('01900000-0000-7000-8000-' || "
		"lpad(to_hex(g), 12, '0'))::uuid, g, CASE WHEN g % 1000 = 0 "
		"THEN "
		"2 WHEN g % 10 = 0 THEN 3 + g % 7 ELSE 1 END, g, CASE WHEN g % "
		"50 = 0 THEN 2 WHEN g % 997 = 0 THEN 0 ELSE 1 END, g % 3 = 0, "
		"'\\x7b7d'::bytea FROM generate_series(1, 100000) g;"
		"ANALYZE deployfs.records;"));
	return 0;
}

static uint64_t count(struct pgt_fix *fix, const char *where)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM deployfs.records WHERE %s", where);
	return strtoull(pgt_value(fix->raw, sql), NULL, 10);
}

/* Walk a scope by pages of 20; check order; return how many. */
static uint64_t walk(struct pgt_fix *fix, enum dfs_pg_scope scope, int64_t key,
		     int64_t key2, bool desc)
{
	struct dfs_pg_row rows[20];
	uint8_t last[16];
	bool started = false;
	uint64_t total = 0;
	unsigned n;

	do {
		assert_int_equal(dfs_pg_scan_page(fix->pg, scope, key, key2,
						  started ? last : NULL, desc,
						  20, rows, &n),
				 0);
		for (unsigned i = 0; i < n; i++) {
			int c = started ? memcmp(rows[i].id, last, 16) : 1;

			assert_true(desc ? c < 0 || !started : c > 0);
			memcpy(last, rows[i].id, 16);
			started = true;
		}
		total += n;
	} while (n == 20);
	return total;
}

static void test_pg_scan_page_every_record_once(void **state)
{
	struct pgt_fix *fix = *state;

	assert_int_equal(walk(fix, DFS_PG_PROJECT, 2, 0, false), 100);
	assert_int_equal(walk(fix, DFS_PG_PROJECT, 2, 0, true), 100);
	assert_int_equal(walk(fix, DFS_PG_PROJECT, 5, 0, false),
			 count(fix, "pseq = 5"));
	assert_int_equal(walk(fix, DFS_PG_STATUS, 0, 0, false),
			 count(fix, "status = 0"));
	assert_int_equal(walk(fix, DFS_PG_PROJECT_STATUS, 2, 2, true),
			 count(fix, "pseq = 2 AND status = 2"));
	assert_int_equal(walk(fix, DFS_PG_PROJECT, 11, 0, false), 0);
}

static void test_pg_scan_page_seq(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_pg_row rows[3];
	unsigned n;

	assert_int_equal(dfs_pg_scan_page(fix->pg, DFS_PG_ALL, 0, 0, NULL,
					  false, 3, rows, &n),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].seq, 1);
	assert_int_equal(rows[2].seq, 3);
	assert_int_equal(dfs_pg_scan_page(fix->pg, DFS_PG_ALL, 0, 0, NULL, true,
					  1, rows, &n),
			 0);
	assert_int_equal(rows[0].seq, N);
}

/* EXPLAIN of @scope's page query with these arguments, one string. */
static char *explain(struct pgt_fix *fix, enum dfs_pg_scope scope, bool desc,
		     const char *mode, const char *args)
{
	/* The types dfs_pg_scan_page sends. */
	static const char *const types[] = {
		"uuid, bigint", "bigint, uuid, bigint", "integer, uuid, bigint",
		"bigint, integer, uuid, bigint"};
	char sql[512];
	PGresult *r;
	size_t len = 0;
	char *out = calloc(1, 4096);

	snprintf(sql, sizeof(sql), "SET plan_cache_mode = %s", mode);
	PQclear(pgt_sql(fix->raw, sql));
	PQclear(pgt_sql(fix->raw, "DEALLOCATE ALL"));
	snprintf(sql, sizeof(sql), "PREPARE q (%s) AS %s", types[scope],
		 dfs_pg_scan_sql(scope, desc));
	PQclear(pgt_sql(fix->raw, sql));
	snprintf(sql, sizeof(sql), "EXPLAIN EXECUTE q (%s)", args);
	r = pgt_sql(fix->raw, sql);
	for (int i = 0; i < PQntuples(r); i++)
		len += (size_t)snprintf(out + len, 4096 - len, "%s\n",
					PQgetvalue(r, i, 0));
	PQclear(r);
	return out;
}

static void check_plan(struct pgt_fix *fix, enum dfs_pg_scope scope,
		       const char *index, const char *args)
{
	static const char *const modes[] = {"force_generic_plan",
					    "force_custom_plan"};
	char want[64];

	snprintf(want, sizeof(want), " using %s on records", index);
	for (int m = 0; m < 2; m++) {
		for (int desc = 0; desc < 2; desc++) {
			char *plan = explain(fix, scope, desc, modes[m], args);

			if (!strstr(plan, want) || strstr(plan, "Seq Scan") ||
			    strstr(plan, "Sort") ||
			    strstr(plan, "Bitmap Heap Scan"))
				fail_msg("%s, %s, scope %d: not served by "
					 "%s:\n%s",
					 modes[m], desc ? "desc" : "asc",
					 (int)scope, index, plan);
			free(plan);
		}
	}
}

#define FIRST "'01900000-0000-7000-8000-000000000000'"
#define MID   "'01900000-0000-7000-8000-00000000c350'"

static void test_pg_scan_plan_project(void **state)
{
	struct pgt_fix *fix = *state;

	/* list --project P --limit 20: large, small and absent projects. */
	check_plan(fix, DFS_PG_PROJECT, "records_project", "1, " FIRST ", 20");
	check_plan(fix, DFS_PG_PROJECT, "records_project", "2, " FIRST ", 20");
	check_plan(fix, DFS_PG_PROJECT, "records_project", "2, " MID ", 20");
	check_plan(fix, DFS_PG_PROJECT, "records_project", "11, " FIRST ", 20");
}

static void test_pg_scan_plan_status(void **state)
{
	struct pgt_fix *fix = *state;

	check_plan(fix, DFS_PG_STATUS, "records_status", "0, " FIRST ", 20");
	check_plan(fix, DFS_PG_STATUS, "records_status", "2, " MID ", 20");
	check_plan(fix, DFS_PG_PROJECT_STATUS, "records_pstatus",
		   "2, 2, " FIRST ", 20");
	check_plan(fix, DFS_PG_PROJECT_STATUS, "records_pstatus",
		   "1, 0, " MID ", 20");
}

static void test_pg_scan_plan_all(void **state)
{
	struct pgt_fix *fix = *state;

	check_plan(fix, DFS_PG_ALL, "records_pkey", MID ", 20");
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
	const struct CMUnitTest tests[] = {
		T(test_pg_scan_page_every_record_once),
		T(test_pg_scan_page_seq),
		T(test_pg_scan_plan_project),
		T(test_pg_scan_plan_status),
		T(test_pg_scan_plan_all),
	};
#undef T

	pgt_main_check("test_pg_scan");
	/* One filled database for the whole suite: the tests only read. */
	return cmocka_run_group_tests(tests, fill_setup, pgt_teardown);
}
