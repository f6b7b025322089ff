/*
 * pgutil — a fresh database per test on the run's throwaway cluster
 * (tests/pg/cluster.sh, started by the ctest fixture "pg"), and a raw
 * libpq connection for checks made beside the code under test.
 *
 * The fixture lives in cmocka's *state (struct pgt_fix), so
 * pgt_setup/pgt_teardown go to cmocka_unit_test_setup_teardown directly.
 */
#ifndef DFS_PGUTIL_H
#define DFS_PGUTIL_H

#include <libpq-fe.h>

#include "pg.h"

struct pgt_fix {
	char name[64];	     /* the test's database */
	char conninfo[1024]; /* for that database */
	struct dfs_pg *pg;   /* open on conninfo (not yet connected) */
	PGconn *raw;	     /* a connection of the test's own */
};

/*
 * pgt_main_check — call first in main(): when the run has no cluster
 * (PostgreSQL not installed), print a loud line and exit 77 (skipped).
 */
void pgt_main_check(const char *suite);

/* A new database, dfs_pg open on it and a raw connection. */
int pgt_setup(void **state);
/* The same with the catalog schema created. */
int pgt_schema_setup(void **state);
/* Close both, drop the database (WITH (FORCE)), free the fixture. */
int pgt_teardown(void **state);

/* Run @sql on @c; fails the test unless it succeeds. Returns the result. */
PGresult *pgt_sql(PGconn *c, const char *sql);
/* The first field of the first row of @sql, as text (static buffer). */
const char *pgt_value(PGconn *c, const char *sql);
/* A new raw connection to @conninfo; fails the test if it cannot. */
PGconn *pgt_connect(const char *conninfo);

#endif
