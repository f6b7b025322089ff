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

/* A time field: null, or an ISO 8601 string. */
static int time_field(json_t *o, const char *key, int64_t *ms)
{
	json_t *v = json_object_get(o, key);

	if (json_is_null(v)) {
		*ms = DFS_TIME_NONE;
		return 0;
	}
	if (!json_is_string(v) || dfs_time_parse(json_string_value(v), ms))
		return -EBADMSG;
	return 0;
}

static int copy_field(json_t *o, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= size)
		return -EBADMSG;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* The JSON object @o as dfs_delivery_json writes it, into @d. */
static int decode_object(json_t *o, struct dfs_delivery *d)
{
	json_t *hash = json_object_get(o, "payload_hash");
	json_t *err = json_object_get(o, "error");
	json_t *version = json_object_get(o, "version");
	json_t *attempts = json_object_get(o, "attempts");
	json_t *status = json_object_get(o, "status");

	memset(d, 0, sizeof(*d));
	if (copy_field(o, "node", d->node, sizeof(d->node)) ||
	    copy_field(o, "project", d->project, sizeof(d->project)) ||
	    !json_is_string(json_object_get(o, "deployment_id")) ||
	    dfs_uuid7_parse(
		    json_string_value(json_object_get(o, "deployment_id")),
		    d->id) ||
	    !json_is_string(status) ||
	    dfs_delivery_status_parse(json_string_value(status), &d->status) ||
	    !json_is_integer(version) || json_integer_value(version) < 0 ||
	    !json_is_integer(attempts) || json_integer_value(attempts) < 0 ||
	    time_field(o, "started_at", &d->started_ms) ||
	    time_field(o, "completed_at", &d->completed_ms))
		return -EBADMSG;
	d->version = (uint64_t)json_integer_value(version);
	d->attempts = (unsigned)json_integer_value(attempts);
	if (json_is_string(hash)) {
		if (dfs_hash_parse(json_string_value(hash), d->payload_hash))
			return -EBADMSG;
		d->has_hash = true;
	} else if (!json_is_null(hash)) {
		return -EBADMSG;
	}
	if (json_is_object(err)) {
		if (copy_field(err, "code", d->error.code,
			       sizeof(d->error.code)) ||
		    copy_field(err, "message", d->error.message,
			       sizeof(d->error.message)))
			return -EBADMSG;
	} else if (!json_is_null(err)) {
		return -EBADMSG;
	}
	return 0;
}

/* @o (an object, or null when @has is given), into @d. */
static int decode_or_null(json_t *o, struct dfs_delivery *d, bool *has)
{
	struct dfs_delivery tmp;
	int rc;

	if (has && json_is_null(o)) {
		*has = false;
		return 0;
	}
	if (!json_is_object(o))
		return -EBADMSG;
	rc = decode_object(o, &tmp);
	if (rc)
		return rc;
	*d = tmp;
	if (has)
		*has = true;
	return 0;
}

int dfs_delivery_decode(const char *buf, size_t len, struct dfs_delivery *d)
{
	json_t *o = json_loadb(buf, len, 0, NULL);
	int rc;

	if (!o)
		return -EBADMSG;
	rc = decode_or_null(o, d, NULL);
	json_decref(o);
	return rc;
}

/* A delivery as a JSON value (null without one). NULL: no memory. */
static json_t *delivery_value(const struct dfs_delivery *d, bool has)
{
	char *s;
	size_t len;
	json_t *v;

	if (!has)
		return json_null();
	if (dfs_delivery_json(d, &s, &len))
		return NULL;
	v = json_loadb(s, len, 0, NULL);
	free(s);
	return v;
}

int dfs_delivery_node_json(const struct dfs_delivery_node *n, char **out,
			   size_t *len)
{
	json_t *o;
	char *s;

	o = json_pack("{s:s, s:b, s:b, s:o, s:o}", "node", n->node, "following",
		      n->following, "lags_current", n->lags_current,
		      "delivered",
		      delivery_value(&n->delivered, n->has_delivered), "latest",
		      delivery_value(&n->latest, n->has_latest));
	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	*len = strlen(s);
	*out = s;
	return 0;
}

int dfs_delivery_node_decode(const char *buf, size_t len,
			     struct dfs_delivery_node *n)
{
	json_t *o = json_loadb(buf, len, 0, NULL), *following, *lags;
	int rc = -EBADMSG;

	if (!o)
		return -EBADMSG;
	following = json_object_get(o, "following");
	lags = json_object_get(o, "lags_current");
	if (json_is_object(o) &&
	    !copy_field(o, "node", n->node, sizeof(n->node)) &&
	    json_is_boolean(following) && json_is_boolean(lags) &&
	    !decode_or_null(json_object_get(o, "delivered"), &n->delivered,
			    &n->has_delivered) &&
	    !decode_or_null(json_object_get(o, "latest"), &n->latest,
			    &n->has_latest)) {
		n->following = json_is_true(following);
		n->lags_current = json_is_true(lags);
		rc = 0;
	}
	json_decref(o);
	return rc;
}
