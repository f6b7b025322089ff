/* pgutil — see pgutil.h. */
#include "pgutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg_schema.h"

static char admin[512];

static bool load_admin(void)
{
	const char *file = getenv("DEPLOYFS_PG_CONNINFO_FILE");
	FILE *f;
	size_t n;

	if (admin[0])
		return true;
	if (!file || !(f = fopen(file, "r")))
		return false;
	n = fread(admin, 1, sizeof(admin) - 1, f);
	fclose(f);
	admin[n] = '\0';
	while (n > 0 && (admin[n - 1] == '\n' || admin[n - 1] == ' '))
		admin[--n] = '\0';
	return n > 0;
}

void pgt_main_check(const char *suite)
{
	if (load_admin())
		return;
	fprintf(stderr,
		"######## SKIPPED %s: no PostgreSQL test cluster "
		"(DEPLOYFS_PG_CONNINFO_FILE unset or empty: see the "
		"pg_cluster_start test) ########\n",
		suite);
	exit(77);
}

PGconn *pgt_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", conninfo,
			 PQerrorMessage(c));
	return c;
}

PGresult *pgt_sql(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	return r;
}

const char *pgt_value(PGconn *c, const char *sql)
{
	static char buf[4096];
	PGresult *r = pgt_sql(c, sql);

	assert_true(PQntuples(r) >= 1);
	snprintf(buf, sizeof(buf), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return buf;
}

int pgt_setup(void **state)
{
	static unsigned counter;
	struct pgt_fix *fix = calloc(1, sizeof(*fix));
	char sql[128];
	PGconn *c;

	assert_non_null(fix);
	assert_true(load_admin());
	snprintf(fix->name, sizeof(fix->name), "t_%d_%u", (int)getpid(),
		 counter++);
	c = pgt_connect(admin);
	snprintf(sql, sizeof(sql),
		 "CREATE DATABASE %s TEMPLATE template0 STRATEGY file_copy",
		 fix->name);
	PQclear(pgt_sql(c, sql));
	PQfinish(c);
	snprintf(fix->conninfo, sizeof(fix->conninfo), "%s dbname=%s", admin,
		 fix->name);
	assert_int_equal(dfs_pg_open(fix->conninfo, &fix->pg), 0);
	fix->raw = pgt_connect(fix->conninfo);
	*state = fix;
	return 0;
}

int pgt_schema_setup(void **state)
{
	struct pgt_fix *fix;

	pgt_setup(state);
	fix = *state;
	assert_int_equal(dfs_pg_schema_open(fix->pg, true), 0);
	return 0;
}

int pgt_teardown(void **state)
{
	struct pgt_fix *fix = *state;
	char sql[128];
	PGconn *c;

	dfs_pg_close(fix->pg);
	PQfinish(fix->raw);
	c = pgt_connect(admin);
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", fix->name);
	PQclear(pgt_sql(c, sql));
	PQfinish(c);
	free(fix);
	return 0;
}
