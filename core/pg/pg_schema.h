/*
 * pg/schema — the tables of the shared catalog, in the PostgreSQL schema
 * "deployfs" of the database a conninfo names, and their version.
 *
 * Invariants:
 *  - the schema is created whole in one transaction, under an advisory
 *    lock, so two daemons starting at once create it once;
 *  - deployfs.meta holds one row with the version of the tables; a
 *    catalog of any other version is refused, never migrated implicitly;
 *  - the single-row tables clock and audit_head are the two locks every
 *    writer takes, always in that order (clock, then projects and records
 *    rows, then audit_head last), so that ids and seqs are handed out in
 *    commit order and audit offsets are gapless in commit order.
 */
#ifndef DFS_PG_SCHEMA_H
#define DFS_PG_SCHEMA_H

#include <stdbool.h>

#include "pg.h"

#define DFS_PG_SCHEMA_VERSION 1

/* The key space of every advisory lock deployfs takes in a database. */
#define DFS_PG_LOCK_SPACE 0x64667331 /* "dfs1" */

/*
 * dfs_pg_schema_open — check the catalog's version, creating the schema
 * first when it does not exist and @create is true. Errors: -ENOENT (no
 * catalog and @create false), -EPROTO (a catalog of another version: the
 * message, by dfs_pg_error, says which), -EIO and the errors of
 * dfs_pg_connect.
 */
int dfs_pg_schema_open(struct dfs_pg *pg, bool create);

/*
 * dfs_pg_schema_version — the version stored in the catalog, into
 * *@version. Errors: -ENOENT (no catalog), -EIO.
 */
int dfs_pg_schema_version(struct dfs_pg *pg, int *version);

#endif
