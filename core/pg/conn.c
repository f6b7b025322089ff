/* pg — see pg.h: the connection, statements and error translation. */
#include "pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of the parameters we send (pg_type.h, stable). */
#define OID_BOOL  16
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_INT4  23
#define OID_TEXT  25
#define OID_UUID  2950

#define MAX_PREPARED 128

struct dfs_pg {
	char *conninfo;
	PGconn *conn;
	bool txn; /* BEGIN sent, no COMMIT/ROLLBACK yet */
	int (*on_connect)(void *arg, struct dfs_pg *pg);
	void *on_connect_arg;
	const struct dfs_pg_stmt *prepared[MAX_PREPARED];
	int nprepared;
	char err[512];
};

static void put_be(uint8_t *out, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *in, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | in[i];
	return v;
}

void dfs_pg_params_init(struct dfs_pg_params *p)
{
	p->n = 0;
}

static void param(struct dfs_pg_params *p, unsigned type, const void *val,
		  int len)
{
	/* A programmer's mistake: statements have few parameters. */
	if (p->n >= DFS_PG_MAX_PARAMS)
		abort();
	p->types[p->n] = type;
	p->vals[p->n] = val;
	p->lens[p->n] = len;
	p->fmts[p->n] = 1;
	p->n++;
}

static void param_int(struct dfs_pg_params *p, unsigned type, uint64_t v, int n)
{
	if (p->n >= DFS_PG_MAX_PARAMS)
		abort();
	put_be(p->buf[p->n], v, n);
	param(p, type, p->buf[p->n], n);
}

void dfs_pg_param_i64(struct dfs_pg_params *p, int64_t v)
{
	param_int(p, OID_INT8, (uint64_t)v, 8);
}

void dfs_pg_param_i32(struct dfs_pg_params *p, int32_t v)
{
	param_int(p, OID_INT4, (uint32_t)v, 4);
}

void dfs_pg_param_bool(struct dfs_pg_params *p, bool v)
{
	param_int(p, OID_BOOL, v ? 1 : 0, 1);
}

void dfs_pg_param_text(struct dfs_pg_params *p, const char *s)
{
	param(p, OID_TEXT, s, s ? (int)strlen(s) : 0);
}

void dfs_pg_param_bytes(struct dfs_pg_params *p, const void *b, size_t len)
{
	param(p, OID_BYTEA, b, (int)len);
}

void dfs_pg_param_uuid(struct dfs_pg_params *p, const uint8_t *id)
{
	param(p, OID_UUID, id, id ? 16 : 0);
}

int dfs_pg_errno(const char *s)
{
	if (!s || !*s)
		return -EIO;
	if (!strcmp(s, "23505"))
		return -EEXIST;
	if (!strcmp(s, "23503"))
		return -ENOENT;
	if (!strcmp(s, "23502") || !strcmp(s, "23514") || !strncmp(s, "22", 2))
		return -EINVAL;
	if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "53300"))
		return -EAGAIN;
	if (!strcmp(s, "55P03"))
		return -EBUSY;
	if (!strcmp(s, "53100"))
		return -ENOSPC;
	if (!strcmp(s, "53200"))
		return -ENOMEM;
	if (!strcmp(s, "57014"))
		return -ETIMEDOUT;
	if (!strncmp(s, "28", 2) || !strcmp(s, "42501"))
		return -EACCES;
	if (!strcmp(s, "3D000") || !strcmp(s, "3F000") || !strcmp(s, "42P01") ||
	    !strcmp(s, "42883"))
		return -ENOENT;
	if (!strncmp(s, "54", 2))
		return -E2BIG;
	return -EIO;
}

void dfs_pg_set_error(struct dfs_pg *pg, const char *msg)
{
	size_t n;

	snprintf(pg->err, sizeof(pg->err), "%s", msg ? msg : "");
	n = strlen(pg->err);
	while (n > 0 && (pg->err[n - 1] == '\n' || pg->err[n - 1] == ' '))
		pg->err[--n] = '\0';
}

int dfs_pg_open(const char *conninfo, struct dfs_pg **out)
{
	PQconninfoOption *opts;
	struct dfs_pg *pg;
	char *err = NULL;

	opts = PQconninfoParse(conninfo, &err);
	if (!opts) {
		PQfreemem(err);
		return err ? -EINVAL : -ENOMEM;
	}
	PQconninfoFree(opts);
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	pg->conninfo = strdup(conninfo);
	if (!pg->conninfo) {
		free(pg);
		return -ENOMEM;
	}
	*out = pg;
	return 0;
}

void dfs_pg_close(struct dfs_pg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg);
}

void dfs_pg_on_connect(struct dfs_pg *pg,
		       int (*fn)(void *arg, struct dfs_pg *pg), void *arg)
{
	pg->on_connect = fn;
	pg->on_connect_arg = arg;
}

void dfs_pg_disconnect(struct dfs_pg *pg)
{
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = NULL;
	pg->txn = false;
	pg->nprepared = 0;
}

bool dfs_pg_connected(const struct dfs_pg *pg)
{
	return pg->conn && PQstatus(pg->conn) == CONNECTION_OK;
}

const char *dfs_pg_error(const struct dfs_pg *pg)
{
	return pg->err;
}

PGconn *dfs_pg_conn(struct dfs_pg *pg)
{
	return dfs_pg_connected(pg) ? pg->conn : NULL;
}

/* Why a connection attempt failed, from libpq's message (no SQLSTATE). */
static int connect_errno(const char *msg)
{
	if (strstr(msg, "authentication failed") || strstr(msg, "password"))
		return -EACCES;
	if (strstr(msg, "does not exist") && strstr(msg, "database"))
		return -ENOENT;
	return -EIO;
}

int dfs_pg_connect(struct dfs_pg *pg)
{
	/* Defaults first: the expanded conninfo overrides them. */
	static const char *const keys[] = {"connect_timeout",
					   "keepalives_idle",
					   "keepalives_interval",
					   "keepalives_count",
					   "application_name",
					   "dbname",
					   NULL};
	const char *vals[] = {"10",	  "10",		"5", "3",
			      "deployfs", pg->conninfo, NULL};
	int rc;

	if (dfs_pg_connected(pg))
		return 0;
	/* A transaction cannot go on over a new session. */
	if (pg->txn) {
		dfs_pg_set_error(pg, "connection lost inside a transaction");
		return -EIO;
	}
	dfs_pg_disconnect(pg);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn) {
		dfs_pg_set_error(pg, "out of memory");
		return -ENOMEM;
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		dfs_pg_set_error(pg, PQerrorMessage(pg->conn));
		rc = connect_errno(pg->err);
		dfs_pg_disconnect(pg);
		return rc;
	}
	if (pg->on_connect) {
		rc = pg->on_connect(pg->on_connect_arg, pg);
		if (rc) {
			char keep[sizeof(pg->err)];

			memcpy(keep, pg->err, sizeof(keep));
			dfs_pg_disconnect(pg);
			memcpy(pg->err, keep, sizeof(keep));
			return rc;
		}
	}
	return 0;
}

/* -errno for a finished call's result (cleared here when it failed). */
static int result_errno(struct dfs_pg *pg, PGresult *r)
{
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *state;
	int rc;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	dfs_pg_set_error(pg, r ? PQresultErrorMessage(r)
			       : PQerrorMessage(pg->conn));
	if (!pg->err[0])
		dfs_pg_set_error(pg, PQerrorMessage(pg->conn));
	rc = dfs_pg_errno(state);
	PQclear(r);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		/* Keep pg->txn: the caller learns it with -EIO. */
		bool txn = pg->txn;

		PQfinish(pg->conn);
		pg->conn = NULL;
		pg->nprepared = 0;
		pg->txn = txn;
		return -EIO;
	}
	return rc;
}

static bool is_prepared(const struct dfs_pg *pg, const struct dfs_pg_stmt *st)
{
	for (int i = 0; i < pg->nprepared; i++)
		if (pg->prepared[i] == st)
			return true;
	return false;
}

static int prepare(struct dfs_pg *pg, const struct dfs_pg_stmt *st,
		   const struct dfs_pg_params *p)
{
	PGresult *r;
	int rc;

	if (pg->nprepared >= MAX_PREPARED)
		abort(); /* more statements than we have: a mistake */
	r = PQprepare(pg->conn, st->name, st->sql, p ? p->n : 0,
		      p ? p->types : NULL);
	rc = result_errno(pg, r);
	if (rc)
		return rc;
	PQclear(r);
	pg->prepared[pg->nprepared++] = st;
	return 0;
}

int dfs_pg_exec(struct dfs_pg *pg, const struct dfs_pg_stmt *st,
		const struct dfs_pg_params *p, PGresult **res)
{
	PGresult *r;
	int rc;

	rc = dfs_pg_connect(pg);
	if (rc)
		return rc;
	if (!is_prepared(pg, st)) {
		rc = prepare(pg, st, p);
		if (rc)
			return rc;
	}
	r = PQexecPrepared(pg->conn, st->name, p ? p->n : 0, p ? p->vals : NULL,
			   p ? p->lens : NULL, p ? p->fmts : NULL, 1);
	rc = result_errno(pg, r);
	if (rc)
		return rc;
	if (res)
		*res = r;
	else
		PQclear(r);
	return 0;
}

/* Run @st under @lock (if any): the lock covers the statement only. */
static int exec_locked(struct dfs_pg *pg, pthread_mutex_t *lock,
		       const struct dfs_pg_stmt *st,
		       const struct dfs_pg_params *p, PGresult **res)
{
	int rc;

	if (lock)
		pthread_mutex_lock(lock);
	rc = dfs_pg_exec(pg, st, p, res);
	if (lock)
		pthread_mutex_unlock(lock);
	return rc;
}

int dfs_pg_query(struct dfs_pg *pg, pthread_mutex_t *lock,
		 const struct dfs_pg_stmt *st, const struct dfs_pg_params *p,
		 dfs_pg_row_fn fn, void *arg, unsigned *rows)
{
	PGresult *r;
	int rc;

	rc = exec_locked(pg, lock, st, p, &r);
	if (rc)
		return rc;
	if (rows)
		*rows = (unsigned)PQntuples(r);
	for (int i = 0; fn && !rc && i < PQntuples(r); i++)
		rc = fn(arg, r, i);
	PQclear(r);
	return rc;
}

int dfs_pg_query_one(struct dfs_pg *pg, pthread_mutex_t *lock,
		     const struct dfs_pg_stmt *st,
		     const struct dfs_pg_params *p, int none, dfs_pg_row_fn fn,
		     void *arg)
{
	PGresult *r;
	int rc;

	rc = exec_locked(pg, lock, st, p, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = none;
	else if (fn)
		rc = fn(arg, r, 0);
	PQclear(r);
	return rc;
}

int dfs_pg_exec_sql(struct dfs_pg *pg, const char *sql)
{
	int rc = dfs_pg_connect(pg);
	PGresult *r;

	if (rc)
		return rc;
	r = PQexec(pg->conn, sql);
	/* A failed result is cleared by result_errno; a good one here. */
	rc = result_errno(pg, r);
	if (!rc)
		PQclear(r);
	return rc;
}

int dfs_pg_begin(struct dfs_pg *pg)
{
	int rc;

	if (pg->txn)
		abort(); /* nested BEGIN: a mistake */
	rc = dfs_pg_exec_sql(pg, "BEGIN");
	if (!rc)
		pg->txn = true;
	return rc;
}

int dfs_pg_commit(struct dfs_pg *pg)
{
	PGresult *r;
	int rc;

	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		pg->txn = false;
		dfs_pg_set_error(pg, "connection lost before commit");
		return -EIO;
	}
	r = PQexec(pg->conn, "COMMIT");
	rc = result_errno(pg, r);
	if (!rc) {
		/* COMMIT of a failed transaction answers ROLLBACK. */
		if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
			dfs_pg_set_error(pg, "transaction rolled back");
			rc = -EIO;
		}
		PQclear(r);
	}
	pg->txn = false;
	return rc;
}

void dfs_pg_rollback(struct dfs_pg *pg)
{
	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
	pg->txn = false;
}

bool dfs_pg_in_txn(const struct dfs_pg *pg)
{
	return pg->txn;
}

bool dfs_pg_isnull(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col);
}

static uint64_t field_int(const PGresult *r, int row, int col, int n)
{
	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != n)
		return 0;
	return get_be((const uint8_t *)PQgetvalue(r, row, col), n);
}

int64_t dfs_pg_i64(const PGresult *r, int row, int col)
{
	return (int64_t)field_int(r, row, col, 8);
}

int32_t dfs_pg_i32(const PGresult *r, int row, int col)
{
	return (int32_t)(uint32_t)field_int(r, row, col, 4);
}

int16_t dfs_pg_i16(const PGresult *r, int row, int col)
{
	return (int16_t)(uint16_t)field_int(r, row, col, 2);
}

bool dfs_pg_bool(const PGresult *r, int row, int col)
{
	return field_int(r, row, col, 1) != 0;
}

int dfs_pg_uuid(const PGresult *r, int row, int col, uint8_t out[16])
{
	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 16)
		return -EBADMSG;
	memcpy(out, PQgetvalue(r, row, col), 16);
	return 0;
}

const char *dfs_pg_bytes(const PGresult *r, int row, int col, size_t *len)
{
	*len = (size_t)PQgetlength(r, row, col);
	return PQgetvalue(r, row, col);
}
