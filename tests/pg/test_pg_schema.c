/*
 * test_pg_schema — the catalog's tables are created on first use, once
 * even when two daemons start together, and a catalog of another
 * version is refused with a message naming both versions.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pgutil.h"
#include "pg_schema.h"

static void test_pg_schema_open_absent(void **state)
{
	struct pgt_fix *fix = *state;
	int version;

	assert_int_equal(dfs_pg_schema_open(fix->pg, false), -ENOENT);
	assert_int_equal(dfs_pg_schema_version(fix->pg, &version), -ENOENT);
	assert_string_equal(
		pgt_value(fix->raw,
			  "SELECT to_regclass('deployfs.meta') IS NULL"),
		"t");
}

static void test_pg_schema_open_creates(void **state)
{
	struct pgt_fix *fix = *state;
	int version;

	assert_int_equal(dfs_pg_schema_open(fix->pg, true), 0);
	assert_int_equal(dfs_pg_schema_version(fix->pg, &version), 0);
	assert_int_equal(version, DFS_PG_SCHEMA_VERSION);
	/* The single-row tables start where the LMDB store starts. */
	assert_string_equal(
		pgt_value(fix->raw,
			  "SELECT next_seq || '/' || (last_id IS NULL) "
			  "FROM deployfs.clock"),
		"1/true");
	assert_string_equal(pgt_value(fix->raw,
				      "SELECT next_seq || '/' || end_off FROM "
				      "deployfs.audit_head"),
			    "1/0");
	/* Opening again changes nothing, with or without create. */
	assert_int_equal(dfs_pg_schema_open(fix->pg, true), 0);
	assert_int_equal(dfs_pg_schema_open(fix->pg, false), 0);
	assert_string_equal(
		pgt_value(fix->raw, "SELECT count(*) FROM deployfs.meta"), "1");
}

static void test_pg_schema_open_other_version(void **state)
{
	struct pgt_fix *fix = *state;

	assert_int_equal(dfs_pg_schema_open(fix->pg, true), 0);
	PQclear(pgt_sql(fix->raw,
			"UPDATE deployfs.meta SET schema_version = 99"));
	assert_int_equal(dfs_pg_schema_open(fix->pg, true), -EPROTO);
	assert_non_null(strstr(dfs_pg_error(fix->pg), "version 99"));
	/* Nothing was migrated or recreated. */
	assert_string_equal(
		pgt_value(fix->raw, "SELECT schema_version FROM deployfs.meta"),
		"99");
}

struct opener {
	const char *conninfo;
	int rc;
};

static void *open_one(void *arg)
{
	struct opener *o = arg;
	struct dfs_pg *pg;

	o->rc = dfs_pg_open(o->conninfo, &pg);
	if (!o->rc) {
		o->rc = dfs_pg_schema_open(pg, true);
		dfs_pg_close(pg);
	}
	return NULL;
}

static void test_pg_schema_open_concurrent(void **state)
{
	struct pgt_fix *fix = *state;
	struct opener o[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		o[i] = (struct opener){fix->conninfo, -1};
		assert_int_equal(pthread_create(&t[i], NULL, open_one, &o[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(o[i].rc, 0);
	}
	assert_string_equal(
		pgt_value(fix->raw, "SELECT count(*) FROM deployfs.meta"), "1");
	assert_string_equal(
		pgt_value(fix->raw, "SELECT count(*) FROM deployfs.clock"),
		"1");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_schema_open_absent),
		T(test_pg_schema_open_creates),
		T(test_pg_schema_open_other_version),
		T(test_pg_schema_open_concurrent),
	};
#undef T

	pgt_main_check("test_pg_schema");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
