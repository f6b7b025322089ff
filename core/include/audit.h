/*
 * audit — the append-only trail of every change to a deployment.
 *
 * Each event is one line of JSON (JSON Lines); audit.log is the
 * concatenation of the lines in commit order, and an event's offset is
 * the byte where its line starts. A catalog backend stores the lines and
 * appends each in the same transaction as the change it describes
 * (catalog.h: dfs_catalog_audit_*); this module only makes and reads
 * lines, so every backend writes the same bytes:
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
#include "who.h"

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
 * dfs_audit_line — the line of event number @seq at @time_ms: @action
 * about @rec by @actor (dfs_audit_project_line: about project @project
 * as a whole, @records its records removed). *@line is malloc'd (the
 * caller frees it), *@len bytes ending in a newline, not NUL-terminated.
 * Errors: -ENOMEM.
 */
int dfs_audit_line(uint64_t seq, int64_t time_ms, const struct dfs_record *rec,
		   const char *action, const struct dfs_who *actor, char **line,
		   size_t *len);
int dfs_audit_project_line(uint64_t seq, int64_t time_ms, const char *project,
			   const char *action, uint64_t records,
			   const struct dfs_who *actor, char **line,
			   size_t *len);

/*
 * dfs_audit_decode — event from the @len bytes of @line, which starts at
 * byte @off of audit.log; e->line points into @line (borrowed as long as
 * @line lives). Errors: -EBADMSG.
 */
int dfs_audit_decode(uint64_t off, const void *line, size_t len,
		     struct dfs_event *e);

#endif
