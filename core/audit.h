/*
 * audit — the append-only trail of every change to a deployment.
 *
 * Each event is one line of JSON (JSON Lines) stored in LMDB under the
 * byte offset where it starts, so audit.log is the concatenation of the
 * values in key order, its size is the end of the last one, and reading
 * at any offset is one cursor seek. Events are appended in the same
 * transaction as the change they describe:
 *
 *   {"seq":1,"time":"…","deployment_id":"…","project":"web",
 *    "action":"created","status":"pending","uid":0,"user":"root",
 *    "pid":42,"command":"cp app.tar.gz mnt/deploy/web"}
 *
 * Actions: created, succeeded, failed, interrupted (recovery after a
 * crash), payload_dropped, pinned, unpinned, payload_corrupt (a read
 * found the stored bytes changed), and project_removed, an event about a
 * project as a whole: its deployment_id and status are null and
 * "records" is the number of records removed with it. uid/user/pid/command
 * are the actor's: the deployer, whoever dropped a payload or removed a
 * project, or for "interrupted" the daemon that recovered the store.
 */
#ifndef DFS_AUDIT_H
#define DFS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

/* The size of audit.log in bytes. Returns 0 or -errno. */
int dfs_audit_size(struct dfs_store *st, uint64_t *size);

/*
 * dfs_audit_read — up to @n bytes of audit.log at @off into @buf; *@got
 * is 0 at the end. Returns 0 or -errno.
 */
int dfs_audit_read(struct dfs_store *st, uint64_t off, void *buf, size_t n,
		   size_t *got);

/* One event, decoded. */
struct dfs_event {
	uint64_t seq;
	uint64_t off; /* where its line starts in audit.log */
	int64_t time_ms;
	bool has_id; /* false for a project's event (project_removed) */
	uint8_t id[16];
	uint64_t records; /* project_removed: the records removed */
	char project[DFS_PROJECT_MAX + 1];
	char action[32];
	enum dfs_status status;
	struct dfs_who who;
	const char *line; /* the JSON line, borrowed for the callback */
	size_t len;
};

/*
 * dfs_audit_scan — call @fn for every event whose line starts at or after
 * byte @from, in order, in one read transaction. @fn returns 0 to go on,
 * non-zero to stop (returned). Returns 0 at the end or -errno.
 */
int dfs_audit_scan(struct dfs_store *st, uint64_t from,
		   int (*fn)(void *arg, const struct dfs_event *e), void *arg);

/*
 * dfs_audit_decode — event from the @len bytes of @line, which starts at
 * byte @off of audit.log; e->line points into @line (borrowed as long as
 * @line lives). Errors: -EBADMSG.
 */
int dfs_audit_decode(uint64_t off, const void *line, size_t len,
		     struct dfs_event *e);

#endif
