/* audit — the events' format (see audit.h): lines made and read here. */
#include "audit.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "uuid7.h"

struct record_event {
	const struct dfs_record *rec;
	const char *action;
	const struct dfs_who *actor;
};

static json_t *make_record_event(void *arg, uint64_t seq, const char *when)
{
	struct record_event *e = arg;
	char idstr[37];

	dfs_uuid7_format(e->rec->id, idstr);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s}",
			 "seq", (json_int_t)seq, "time", when, "deployment_id",
			 idstr, "project", e->rec->project, "action", e->action,
			 "status", dfs_status_name(e->rec->status), "uid",
			 (json_int_t)e->actor->uid, "user", e->actor->user,
			 "pid", (json_int_t)e->actor->pid, "command",
			 e->actor->command);
}

struct project_event {
	const char *project;
	const char *action;
	uint64_t records;
	const struct dfs_who *actor;
};

static json_t *make_project_event(void *arg, uint64_t seq, const char *when)
{
	struct project_event *e = arg;

	return json_pack(
		"{s:I, s:s, s:n, s:s, s:s, s:n, s:I, s:I, s:s, s:I, s:s}",
		"seq", (json_int_t)seq, "time", when, "deployment_id",
		"project", e->project, "action", e->action, "status", "records",
		(json_int_t)e->records, "uid", (json_int_t)e->actor->uid,
		"user", e->actor->user, "pid", (json_int_t)e->actor->pid,
		"command", e->actor->command);
}

/* Dump @o as one line ending in a newline (malloc'd into *@line). */
static int dump_line(json_t *o, char **line, size_t *len)
{
	char *s;
	size_t n;

	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	s[n] = '\n'; /* json_dumps leaves room: the NUL is replaced */
	*line = s;
	*len = n + 1;
	return 0;
}

int dfs_audit_line(uint64_t seq, int64_t time_ms, const struct dfs_record *rec,
		   const char *action, const struct dfs_who *actor, char **line,
		   size_t *len)
{
	struct record_event e = {rec, action, actor};
	char when[DFS_ISOTIME_LEN];

	dfs_time_format(time_ms, when);
	return dump_line(make_record_event(&e, seq, when), line, len);
}

int dfs_audit_project_line(uint64_t seq, int64_t time_ms, const char *project,
			   const char *action, uint64_t records,
			   const struct dfs_who *actor, char **line,
			   size_t *len)
{
	struct project_event e = {project, action, records, actor};
	char when[DFS_ISOTIME_LEN];

	dfs_time_format(time_ms, when);
	return dump_line(make_project_event(&e, seq, when), line, len);
}

int dfs_audit_decode(uint64_t off, const void *line, size_t len,
		     struct dfs_event *e)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *when, *project, *action, *user, *cmd;
	json_t *id, *status;
	json_int_t seq, uid, pid, records = 0;
	int rc = -EBADMSG;

	if (!o)
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	if (json_unpack(o,
			"{s:I, s:s, s:o, s:s, s:s, s:o, s?I, s:I, s:s, s:I, "
			"s:s}",
			"seq", &seq, "time", &when, "deployment_id", &id,
			"project", &project, "action", &action, "status",
			&status, "records", &records, "uid", &uid, "user",
			&user, "pid", &pid, "command", &cmd) != 0 ||
	    dfs_time_parse(when, &e->time_ms) != 0)
		goto out;
	/* A project's event names no deployment and no status. */
	e->has_id = !json_is_null(id);
	if (e->has_id && (!json_is_string(id) ||
			  dfs_uuid7_parse(json_string_value(id), e->id) != 0))
		goto out;
	if (e->has_id &&
	    (!json_is_string(status) ||
	     dfs_status_parse(json_string_value(status), &e->status) != 0))
		goto out;
	e->seq = (uint64_t)seq;
	e->off = off;
	e->records = (uint64_t)records;
	snprintf(e->project, sizeof(e->project), "%s", project);
	snprintf(e->action, sizeof(e->action), "%s", action);
	e->who.uid = (uint32_t)uid;
	e->who.pid = (int32_t)pid;
	snprintf(e->who.user, sizeof(e->who.user), "%s", user);
	snprintf(e->who.command, sizeof(e->who.command), "%s", cmd);
	e->line = line;
	e->len = len;
	rc = 0;
out:
	json_decref(o);
	return rc;
}
