/* delivery — see delivery.h. */
#include "delivery.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "uuid7.h"

static const char *const names[] = {
	[DFS_DELIVERY_PENDING] = "pending",
	[DFS_DELIVERY_SUCCESS] = "success",
	[DFS_DELIVERY_FAILED] = "failed",
	[DFS_DELIVERY_SUPERSEDED] = "superseded",
	[DFS_DELIVERY_INTERRUPTED] = "interrupted",
};

const char *dfs_delivery_status_name(enum dfs_delivery_status s)
{
	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[s];
}

int dfs_delivery_status_parse(const char *s, enum dfs_delivery_status *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum dfs_delivery_status)i;
			return 0;
		}
	return -EINVAL;
}

bool dfs_delivery_settled(enum dfs_delivery_status s)
{
	return s == DFS_DELIVERY_SUCCESS || s == DFS_DELIVERY_FAILED ||
	       s == DFS_DELIVERY_SUPERSEDED;
}

static json_t *time_or_null(int64_t ms)
{
	char buf[DFS_ISOTIME_LEN];

	if (ms == DFS_TIME_NONE)
		return json_null();
	return json_string(dfs_time_format(ms, buf));
}

/* Dump @o (its reference taken) as one line ending in '\n'. */
static int dump_line(json_t *o, char **out, size_t *len)
{
	char *s;

	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	*len = strlen(s) + 1;
	*out = realloc(s, *len + 1);
	if (!*out) {
		free(s);
		return -ENOMEM;
	}
	(*out)[*len - 1] = '\n';
	(*out)[*len] = '\0';
	return 0;
}

int dfs_delivery_json(const struct dfs_delivery *d, char **out, size_t *len)
{
	char idstr[37], hex[65];
	json_t *err, *hash;

	dfs_uuid7_format(d->id, idstr);
	if (d->has_hash) {
		dfs_hash_hex(d->payload_hash, hex);
		hash = json_string(hex);
	} else {
		hash = json_null();
	}
	if (d->error.code[0])
		err = json_pack("{s:s, s:s, s:s}", "code", d->error.code,
				"message", d->error.message, "phase",
				"delivery");
	else
		err = json_null();
	return dump_line(
		json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:o, s:o, s:o, s:o}",
			  "node", d->node, "deployment_id", idstr, "project",
			  d->project, "version", (json_int_t)d->version,
			  "status", dfs_delivery_status_name(d->status),
			  "attempts", (json_int_t)d->attempts, "started_at",
			  time_or_null(d->started_ms), "completed_at",
			  time_or_null(d->completed_ms), "payload_hash", hash,
			  "error", err),
		out, len);
}

int dfs_delivery_audit_line(uint64_t seq, int64_t time_ms,
			    const struct dfs_delivery *d,
			    const struct dfs_who *actor, char **line,
			    size_t *len)
{
	char when[DFS_ISOTIME_LEN], idstr[37], action[40];

	dfs_uuid7_format(d->id, idstr);
	snprintf(action, sizeof(action), "delivery_%s",
		 d->status == DFS_DELIVERY_PENDING
			 ? "started"
			 : dfs_delivery_status_name(d->status));
	return dump_line(
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, "
			  "s:s, s:I}",
			  "seq", (json_int_t)seq, "time",
			  dfs_time_format(time_ms, when), "deployment_id",
			  idstr, "project", d->project, "action", action,
			  "status", "success", "uid", (json_int_t)actor->uid,
			  "user", actor->user, "pid", (json_int_t)actor->pid,
			  "command", actor->command, "node", d->node, "attempt",
			  (json_int_t)d->attempts),
		line, len);
}
