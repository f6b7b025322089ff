/*
 * bench_pg — the PostgreSQL catalog's listing at scale: fills a fresh
 * catalog with N records (SQL generate_series: 90% in one project, the
 * rest over 99 others), ANALYZEs, then times keyset pages of 20, newest
 * first, for a large and a small project: what "deployctl list --project
 * P --limit 20" asks of the database. Prints one line per case.
 *
 *   bench_pg CONNINFO N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg.h"
#include "pg_scan.h"
#include "pg_schema.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int fill(struct dfs_pg *pg, long n)
{
	char sql[1024];

	snprintf(
		sql, sizeof(sql),
		"INSERT INTO deployfs.projects (pseq, name, uid, gid, mode, "
		"created_ms, ctime_ms) SELECT g, 'proj-' || lpad(g::text, 3, "
		"'0'), 0, 0, 420, 0, 0 FROM generate_series(1, 100) g;"
		"INSERT INTO deployfs.records (id, seq, pseq, version, status, "
		"held, body) SELECT ('01900000-0000-7000-8000-' || "
		"lpad(to_hex(g), 12, '0'))::uuid, g, CASE WHEN g %% 10 = 0 "
		"THEN 2 + g %% 99 ELSE 1 END, g, CASE WHEN g %% 20 = 0 THEN 2 "
		"ELSE 1 END, g %% 3 = 0, '\\x7b7d'::bytea FROM "
		"generate_series(1, %ld) g;"
		"ANALYZE deployfs.records;",
		n);
	return dfs_pg_exec_sql(pg, sql);
}

/*
 * The mean time of @rounds pages of project @pseq, in ms: the first page,
 * then each next one from where the one before ended (*@seen: rows).
 */
static double page_ms(struct dfs_pg *pg, int64_t pseq, int rounds,
		      unsigned *seen)
{
	struct dfs_pg_row rows[20];
	uint8_t after[16];
	bool has = false;
	unsigned got;
	double t0 = now_ms();

	*seen = 0;
	for (int i = 0; i < rounds; i++) {
		if (dfs_pg_scan_page(pg, DFS_PG_PROJECT, pseq, 0,
				     has ? after : NULL, true, 20, rows,
				     &got) != 0)
			return -1;
		*seen += got;
		has = got == 20;
		if (has)
			memcpy(after, rows[19].id, 16);
	}
	return (now_ms() - t0) / rounds;
}

int main(int argc, char **argv)
{
	struct dfs_pg *pg;
	unsigned seen;
	double t0, ms;
	long n;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_pg CONNINFO N\n");
		return 2;
	}
	n = atol(argv[2]);
	if (dfs_pg_open(argv[1], &pg) != 0 ||
	    dfs_pg_schema_open(pg, true) != 0) {
		fprintf(stderr, "bench_pg: cannot open the catalog: %s\n",
			dfs_pg_error(pg));
		return 1;
	}
	t0 = now_ms();
	if (fill(pg, n) != 0) {
		fprintf(stderr, "bench_pg: fill: %s\n", dfs_pg_error(pg));
		return 1;
	}
	printf("filled %ld records in %.0f ms\n", n, now_ms() - t0);
	/* The first call prepares; a warm cache is what a daemon has. */
	page_ms(pg, 1, 5, &seen);
	ms = page_ms(pg, 1, 200, &seen);
	printf("page of 20, large project (90%%): %.3f ms (%u rows)\n", ms,
	       seen);
	ms = page_ms(pg, 7, 200, &seen);
	printf("page of 20, small project (0.1%%): %.3f ms (%u rows)\n", ms,
	       seen);
	ms = page_ms(pg, 500, 200, &seen);
	printf("page of 20, absent project: %.3f ms (%u rows)\n", ms, seen);
	dfs_pg_close(pg);
	return 0;
}
