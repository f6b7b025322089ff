/* pg/notify — see notify.h. */
#include "pg_notify.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

static const struct dfs_pg_stmt notify = {"dfs_notify",
					  "SELECT pg_notify($1, $2)"};

int dfs_pg_listen(struct dfs_pg *pg, const char *channel)
{
	char sql[128], *ident;
	PGconn *conn;
	int rc;

	rc = dfs_pg_connect(pg);
	if (rc)
		return rc;
	conn = dfs_pg_conn(pg);
	ident = PQescapeIdentifier(conn, channel, strlen(channel));
	if (!ident)
		return -ENOMEM;
	if (snprintf(sql, sizeof(sql), "LISTEN %s", ident) >= (int)sizeof(sql))
		rc = -ENAMETOOLONG;
	PQfreemem(ident);
	return rc ? rc : dfs_pg_exec_sql(pg, sql);
}

int dfs_pg_notify(struct dfs_pg *pg, const char *channel, const char *payload)
{
	struct dfs_pg_params p;

	if (strlen(payload) >= 8000)
		return -E2BIG;
	dfs_pg_params_init(&p);
	dfs_pg_param_text(&p, channel);
	dfs_pg_param_text(&p, payload);
	return dfs_pg_exec(pg, &notify, &p, NULL);
}

/* Hand every notification libpq has read to @fn. */
static int deliver(PGconn *conn,
		   int (*fn)(void *arg, const struct dfs_pg_note *note),
		   void *arg, unsigned *n)
{
	PGnotify *nt;
	int rc = 0;

	while (!rc && (nt = PQnotifies(conn)) != NULL) {
		struct dfs_pg_note note = {nt->relname, nt->extra, nt->be_pid};

		rc = fn(arg, &note);
		PQfreemem(nt);
		(*n)++;
	}
	return rc;
}

int dfs_pg_notify_wait(struct dfs_pg *pg, int timeout_ms,
		       int (*fn)(void *arg, const struct dfs_pg_note *note),
		       void *arg, unsigned *n)
{
	PGconn *conn = dfs_pg_conn(pg);
	struct pollfd pfd;
	unsigned count = 0;
	int rc;

	if (!conn)
		return -EIO;
	/* Some may have arrived with an earlier query's reply. */
	rc = deliver(conn, fn, arg, &count);
	if (!rc && count == 0) {
		pfd = (struct pollfd){.fd = PQsocket(conn), .events = POLLIN};
		if (pfd.fd < 0)
			return -EIO;
		rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0)
			return -errno;
		rc = 0;
		if (pfd.revents) {
			if (!PQconsumeInput(conn) ||
			    PQstatus(conn) != CONNECTION_OK) {
				dfs_pg_set_error(pg, PQerrorMessage(conn));
				dfs_pg_disconnect(pg);
				return -EIO;
			}
			rc = deliver(conn, fn, arg, &count);
		}
	}
	if (n)
		*n = count;
	return rc;
}
