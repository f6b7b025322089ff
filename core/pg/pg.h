/*
 * pg — the PostgreSQL floor of the shared catalog: one libpq connection,
 * its prepared statements, reconnection, and the one translation of libpq
 * and SQLSTATE errors to -errno. Only files under core/pg include libpq.
 *
 * Invariants:
 *  - a struct dfs_pg is used by one thread at a time (a caller that shares
 *    one serialises its use);
 *  - every parameter and every result travels in binary format: integers
 *    big-endian, uuid as its 16 bytes, bytea and text as their bytes, so
 *    no value is escaped or depends on the server's encoding;
 *  - a statement is prepared on first use on each connection, with the
 *    parameter types of that first use; a lost connection is never
 *    retried behind the caller's back (a statement may have committed):
 *    the call fails with -EIO and the next call reconnects, runs the
 *    on-connect hook (re-LISTEN, lease) and prepares again;
 *  - PGresults returned by dfs_pg_exec belong to the caller (PQclear).
 */
#ifndef DFS_PG_H
#define DFS_PG_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dfs_pg;

/* A statement: a name unique in the process, the SQL with $n parameters. */
struct dfs_pg_stmt {
	const char *name;
	const char *sql;
};

#define DFS_PG_MAX_PARAMS 16

/*
 * Parameters of one call, built with the dfs_pg_param_* functions: values
 * are borrowed (text, bytes) or copied into @buf (integers), so the
 * struct lives on the caller's stack until the call returns.
 */
struct dfs_pg_params {
	int n;
	unsigned types[DFS_PG_MAX_PARAMS]; /* type OIDs */
	const char *vals[DFS_PG_MAX_PARAMS];
	int lens[DFS_PG_MAX_PARAMS];
	int fmts[DFS_PG_MAX_PARAMS];
	uint8_t buf[DFS_PG_MAX_PARAMS][8];
};

void dfs_pg_params_init(struct dfs_pg_params *p);
void dfs_pg_param_i64(struct dfs_pg_params *p, int64_t v);
void dfs_pg_param_i32(struct dfs_pg_params *p, int32_t v);
void dfs_pg_param_bool(struct dfs_pg_params *p, bool v);
/* NULL: an SQL NULL of that type. */
void dfs_pg_param_text(struct dfs_pg_params *p, const char *s);
void dfs_pg_param_bytes(struct dfs_pg_params *p, const void *b, size_t len);
void dfs_pg_param_uuid(struct dfs_pg_params *p, const uint8_t *id);

/*
 * dfs_pg_open — connect to @conninfo (any libpq connection string or
 * postgresql:// URI; connect_timeout and TCP keepalives get short defaults
 * that the string overrides). A refused or unreachable server is not an
 * error here: *@out is returned disconnected and the first call connects.
 * Errors: -EINVAL (@conninfo does not parse), -ENOMEM.
 */
int dfs_pg_open(const char *conninfo, struct dfs_pg **out);

/* Close the connection (releasing its session locks) and free @pg. */
void dfs_pg_close(struct dfs_pg *pg);

/*
 * dfs_pg_on_connect — call @fn after every (re)connection, before the call
 * that connected goes on; an error from @fn fails that call and drops the
 * connection again. Used to LISTEN again and to take the node's lease.
 */
void dfs_pg_on_connect(struct dfs_pg *pg,
		       int (*fn)(void *arg, struct dfs_pg *pg), void *arg);

/*
 * dfs_pg_connect — connect now if not connected. Errors: -EIO (server
 * unreachable or the connection refused), -EACCES (authentication),
 * -ENOENT (no such database), what the on-connect hook returns.
 */
int dfs_pg_connect(struct dfs_pg *pg);

/* Drop the connection (the next call reconnects); for tests and hooks. */
void dfs_pg_disconnect(struct dfs_pg *pg);

/* Whether the connection is up (as far as libpq knows). */
bool dfs_pg_connected(const struct dfs_pg *pg);

/* The last error's message, for a log line; "" when none. Owned by @pg. */
const char *dfs_pg_error(const struct dfs_pg *pg);

/* Set the message dfs_pg_error returns (copied, trailing newline cut). */
void dfs_pg_set_error(struct dfs_pg *pg, const char *msg);

/* The libpq connection, for the files of core/pg (NULL if down). */
PGconn *dfs_pg_conn(struct dfs_pg *pg);

/*
 * dfs_pg_exec — run @st with @p (NULL: none) and results in binary.
 * *@res (may be NULL: the result is cleared) is the caller's to PQclear.
 * Errors: see dfs_pg_errno.
 */
int dfs_pg_exec(struct dfs_pg *pg, const struct dfs_pg_stmt *st,
		const struct dfs_pg_params *p, PGresult **res);

/*
 * A consumer of row @row of @r, called by dfs_pg_query: @r is cleared
 * once the query returns, so it copies out what it keeps. Returns 0 to
 * go on, or -errno to stop the query with that error.
 */
typedef int (*dfs_pg_row_fn)(void *arg, const PGresult *r, int row);

/*
 * dfs_pg_query — a whole query in one call: run @st with @p as
 * dfs_pg_exec does, holding @lock (NULL: the caller serialises already,
 * as inside its transaction) for the statement only, then give each row
 * of the result in order to @fn (NULL: rows are not read), with @lock
 * released so that @fn may run queries of its own. Stops at the first
 * error @fn returns. *@rows (may be NULL) is set to the number of rows
 * the statement returned once it ran, whatever @fn says. The result is
 * cleared before the call returns.
 * Errors: those of dfs_pg_exec (dfs_pg_errno, the one translation of
 * libpq's), then what @fn returns.
 */
int dfs_pg_query(struct dfs_pg *pg, pthread_mutex_t *lock,
		 const struct dfs_pg_stmt *st, const struct dfs_pg_params *p,
		 dfs_pg_row_fn fn, void *arg, unsigned *rows);

/*
 * dfs_pg_query_one — dfs_pg_query for a statement about one row: @fn
 * (NULL: none) gets the first row only, and @none is returned when the
 * statement returned no row (the caller's word for that: -ENOENT for a
 * lookup, -ESTALE for a change whose row has moved on, 0 when absence is
 * an answer). Errors: @none, those of dfs_pg_query.
 */
int dfs_pg_query_one(struct dfs_pg *pg, pthread_mutex_t *lock,
		     const struct dfs_pg_stmt *st,
		     const struct dfs_pg_params *p, int none, dfs_pg_row_fn fn,
		     void *arg);

/* Run SQL text without parameters (several statements allowed). */
int dfs_pg_exec_sql(struct dfs_pg *pg, const char *sql);

/* Transactions: BEGIN, COMMIT, ROLLBACK. Returns 0 or -errno. */
int dfs_pg_begin(struct dfs_pg *pg);
int dfs_pg_commit(struct dfs_pg *pg);
/* Never fails: a rollback on a lost connection is the server's. */
void dfs_pg_rollback(struct dfs_pg *pg);
/* Whether a transaction is open on the connection. */
bool dfs_pg_in_txn(const struct dfs_pg *pg);

/*
 * dfs_pg_errno — the one translation to -errno of a SQLSTATE (NULL or ""
 * when libpq reported no server error: the connection is lost):
 *   class 08, 57P01-57P03, lost connection -> -EIO
 *   23505 unique violation                 -> -EEXIST
 *   23503 foreign key violation            -> -ENOENT
 *   23502, 23514, class 22 data exception  -> -EINVAL
 *   40001 serialization, 40P01 deadlock    -> -EAGAIN
 *   55P03 lock not available               -> -EBUSY
 *   53100 disk full                        -> -ENOSPC
 *   53200 out of memory                    -> -ENOMEM
 *   53300 too many connections             -> -EAGAIN
 *   57014 query canceled (timeout)         -> -ETIMEDOUT
 *   class 28, 42501 not allowed            -> -EACCES
 *   3D000 no such database, 3F000 no such
 *   schema, 42P01 table, 42883 function    -> -ENOENT
 *   class 54 program limit exceeded        -> -E2BIG
 *   anything else                          -> -EIO
 */
int dfs_pg_errno(const char *sqlstate);

/* Binary result fields; the caller knows the column's type. */
bool dfs_pg_isnull(const PGresult *r, int row, int col);
int64_t dfs_pg_i64(const PGresult *r, int row, int col);
int32_t dfs_pg_i32(const PGresult *r, int row, int col);
int16_t dfs_pg_i16(const PGresult *r, int row, int col);
bool dfs_pg_bool(const PGresult *r, int row, int col);
/* A uuid (16 bytes) into @out; -EBADMSG when the field is not one. */
int dfs_pg_uuid(const PGresult *r, int row, int col, uint8_t out[16]);
/* Bytes of a bytea or text field, borrowed from @r; *@len its length. */
const char *dfs_pg_bytes(const PGresult *r, int row, int col, size_t *len);

#endif
