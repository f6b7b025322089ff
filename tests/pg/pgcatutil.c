/* pgcatutil — see pgcatutil.h. */
#include "pgcatutil.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_pg.h"

static int admin(char *out, size_t n)
{
	const char *file = getenv("DEPLOYFS_PG_CONNINFO_FILE");
	size_t len;
	FILE *f;

	if (!file || !(f = fopen(file, "r")))
		return -ENOENT;
	len = fread(out, 1, n - 1, f);
	fclose(f);
	out[len] = '\0';
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	return len ? 0 : -ENOENT;
}

/* "u_" and the temp directory's random suffix, lowercased. */
static void db_name(const char *base, char out[64])
{
	const char *dot = strrchr(base, '.');
	size_t n = 2;

	strcpy(out, "u_");
	for (const char *s = dot ? dot + 1 : base; *s && n < 60; s++)
		out[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
	out[n] = '\0';
}

/* Run @sql on the cluster's admin database; 0 or -EIO. */
static int admin_sql(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	int rc = -EIO;

	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			rc = 0;
		else
			fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

int tu_pg_open(const char *base, const char *node, struct dfs_catalog **out)
{
	char ci[600], sql[160], db[64];
	char full[700];
	char *err = NULL;
	int rc;

	if (admin(ci, sizeof(ci)) != 0) {
		fprintf(stderr, "######## SKIPPED: no PostgreSQL test cluster "
				"(see pg_cluster_start) ########\n");
		exit(77);
	}
	db_name(base, db);
	snprintf(full, sizeof(full), "%s dbname=%s", ci, db);
	snprintf(sql, sizeof(sql),
		 "CREATE DATABASE %s TEMPLATE template0 "
		 "STRATEGY file_copy",
		 db);
	/* Reopening: the database is there already. */
	{
		PGconn *c = PQconnectdb(full);

		if (PQstatus(c) != CONNECTION_OK)
			admin_sql(ci, sql);
		PQfinish(c);
	}
	rc = dfs_catalog_open_pg(full,
				 DFS_CATALOG_CREATE | DFS_CATALOG_PG_DAEMON,
				 node, out, &err);
	if (rc)
		fprintf(stderr, "catalog in %s: %s\n", db, err ? err : "");
	free(err);
	return rc;
}

void tu_pg_drop(const char *base)
{
	char ci[600], sql[128], db[64];

	if (admin(ci, sizeof(ci)) != 0)
		return;
	db_name(base, db);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
		 db);
	admin_sql(ci, sql);
}
