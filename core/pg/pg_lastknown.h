/*
 * pg/lastknown — what a daemon last read of records and projects, for
 * reads while the database is unreachable (README "Many hosts",
 * Outages).
 *
 * A fixed table, allocated once: DFS_PG_KNOWN_RECORDS records (slot =
 * seq modulo the size, with the delivery counts last read for each) and
 * DFS_PG_KNOWN_PROJECTS projects (slot = pseq modulo the size, with the
 * newest deployment last read for each). Filled by every answer of the
 * database, never consulted while it answers: the catalog's lookups
 * (get, get_seq, latest, project_get, project_get_seq) and the delivery
 * counts of record.json fall back on it only when their call failed with
 * -EIO and the session is down (dfs_pgcat_offline). What is not in the
 * table stays -EIO. Thread-safe (its own lock).
 */
#ifndef DFS_PG_LASTKNOWN_H
#define DFS_PG_LASTKNOWN_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "delivery.h"
#include "record.h"

#define DFS_PG_KNOWN_RECORDS  4096
#define DFS_PG_KNOWN_PROJECTS 256

struct dfs_pg_lastknown;

/* Returns 0 or -ENOMEM. */
int dfs_pg_known_new(struct dfs_pg_lastknown **out);
void dfs_pg_known_free(struct dfs_pg_lastknown *k);

/* Remember (replacing what the slot held). */
void dfs_pg_known_record(struct dfs_pg_lastknown *k,
			 const struct dfs_record *r);
void dfs_pg_known_project(struct dfs_pg_lastknown *k,
			  const struct dfs_project *p);
void dfs_pg_known_latest(struct dfs_pg_lastknown *k, const char *project,
			 const uint8_t id[16]);
void dfs_pg_known_counts(struct dfs_pg_lastknown *k, const uint8_t id[16],
			 const struct dfs_delivery_counts *n);

/* Look up: 0 and the answer, or -ENOENT when not known. */
int dfs_pg_known_get(struct dfs_pg_lastknown *k, const uint8_t id[16],
		     struct dfs_record *r);
int dfs_pg_known_get_seq(struct dfs_pg_lastknown *k, uint64_t seq,
			 struct dfs_record *r);
int dfs_pg_known_project_get(struct dfs_pg_lastknown *k, const char *name,
			     struct dfs_project *p);
int dfs_pg_known_project_get_seq(struct dfs_pg_lastknown *k, uint64_t pseq,
				 struct dfs_project *p);
int dfs_pg_known_latest_get(struct dfs_pg_lastknown *k, const char *project,
			    uint8_t id[16]);
int dfs_pg_known_counts_get(struct dfs_pg_lastknown *k, const uint8_t id[16],
			    struct dfs_delivery_counts *n);

#endif
