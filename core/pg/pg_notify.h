/*
 * pg/notify — LISTEN/NOTIFY: how one host's commits reach the others.
 *
 * A writer queues a notification inside its transaction
 * (dfs_pg_notify); PostgreSQL delivers it to every listening session at
 * commit, and never for a rollback. A listener is a connection of its own
 * that waits on its socket (dfs_pg_notify_wait), so no timer polls the
 * tables. Notifications sent while a listener was disconnected are lost:
 * after a reconnection the listener must treat everything as changed.
 */
#ifndef DFS_PG_NOTIFY_H
#define DFS_PG_NOTIFY_H

#include <stdint.h>

#include "pg.h"

/* The channel every catalog change is announced on. */
#define DFS_PG_CHANNEL "deployfs"

/*
 * dfs_pg_listen — LISTEN on @channel (an identifier; quoted here) for
 * the session of @pg; run it again after every reconnection (the
 * on-connect hook). Returns 0 or -errno.
 */
int dfs_pg_listen(struct dfs_pg *pg, const char *channel);

/*
 * dfs_pg_notify — queue @payload (under 8000 bytes) on @channel, sent at
 * the commit of the current transaction (at once outside one).
 * Errors: -E2BIG (payload too long), -EIO, -errno.
 */
int dfs_pg_notify(struct dfs_pg *pg, const char *channel, const char *payload);

/* One notification, borrowed for the callback. */
struct dfs_pg_note {
	const char *channel;
	const char *payload;
	int sender_pid; /* the sending session's backend pid */
};

/*
 * dfs_pg_notify_wait — wait up to @timeout_ms (-1: forever) for
 * notifications on @pg's session and call @fn for each one that arrived,
 * in order. *@n (may be NULL) is how many. Returns 0 (also on timeout),
 * -EIO when the connection is lost (reconnect with dfs_pg_connect and
 * treat everything as changed), -EINTR when a signal interrupted the
 * wait, or @fn's non-zero return.
 */
int dfs_pg_notify_wait(struct dfs_pg *pg, int timeout_ms,
		       int (*fn)(void *arg, const struct dfs_pg_note *note),
		       void *arg, unsigned *n);

#endif
