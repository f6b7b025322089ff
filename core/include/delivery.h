/*
 * delivery — one follower node's delivery of one deployment (fleet
 * delivery: a follower runs its hook for each successful deploy of the
 * projects it follows). Deliveries exist only in a PostgreSQL catalog
 * (delivery_pg.h); this header is their shape and their JSON.
 *
 * Invariants:
 *  - there is at most one delivery per (deployment, node): it is claimed
 *    pending, then settled once: success, failed, superseded (a newer
 *    deploy of the project came first; never run) or interrupted (the
 *    follower stopped while it ran; claimed again on its restart, with
 *    attempts one more);
 *  - completed_ms is DFS_TIME_NONE while pending.
 */
#ifndef DFS_DELIVERY_H
#define DFS_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "who.h"

#define DFS_NODE_MAX 256

enum dfs_delivery_status {
	DFS_DELIVERY_PENDING = 0,
	DFS_DELIVERY_SUCCESS = 1,
	DFS_DELIVERY_FAILED = 2,
	DFS_DELIVERY_SUPERSEDED = 3,
	DFS_DELIVERY_INTERRUPTED = 4,
};

struct dfs_delivery {
	uint8_t id[16]; /* the deployment */
	char node[DFS_NODE_MAX];
	char project[DFS_PROJECT_MAX + 1];
	uint64_t version; /* the deployment's, for "web@42" */
	enum dfs_delivery_status status;
	unsigned attempts;
	int64_t started_ms;
	int64_t completed_ms; /* DFS_TIME_NONE while pending */
	bool has_hash;
	uint8_t payload_hash[32];
	struct dfs_record_error error; /* code "" when none */
	uint64_t log_size;	       /* bytes of deliveries/<node>.log */
};

/* Deliveries of one deployment by status (the record's "deliveries"). */
struct dfs_delivery_counts {
	uint64_t success, failed, pending, superseded, interrupted;
};

const char *dfs_delivery_status_name(enum dfs_delivery_status s);
/* Returns 0 and sets *@out, or -EINVAL for an unknown name. */
int dfs_delivery_status_parse(const char *s, enum dfs_delivery_status *out);
/* Whether @s is settled for good (not pending, not interrupted). */
bool dfs_delivery_settled(enum dfs_delivery_status s);

/*
 * dfs_delivery_json — deliveries/<node>.json: node, status, attempts,
 * started_at, completed_at, payload_hash, error, deployment_id, project,
 * version; one line ending with '\n'. *@out is malloc'd (the caller
 * frees it). Errors: -ENOMEM.
 */
int dfs_delivery_json(const struct dfs_delivery *d, char **out, size_t *len);

/*
 * dfs_delivery_audit_line — the audit.log line (audit.h's shape) of
 * event number @seq at @time_ms: a change of @d by @actor, with action
 * delivery_started while pending and delivery_<status> after, plus the
 * delivery's "node" and "attempt". *@line is malloc'd (the caller frees
 * it), *@len bytes ending with '\n'. Errors: -ENOMEM.
 */
int dfs_delivery_audit_line(uint64_t seq, int64_t time_ms,
			    const struct dfs_delivery *d,
			    const struct dfs_who *actor, char **line,
			    size_t *len);

/*
 * dfs_delivery_decode — a delivery from @len bytes of dfs_delivery_json's
 * JSON (log_size, not in it, is 0). Returns 0, or -EBADMSG when they are
 * not a delivery; @d is untouched on error.
 */
int dfs_delivery_decode(const char *buf, size_t len, struct dfs_delivery *d);

/*
 * One node of a project's fleet view (projects/<p>/nodes.json, one line
 * each; deployctl status --json): the node, whether it follows the
 * project, whether what it delivered is not the project's current
 * deployment, its last successful delivery of the project and its latest
 * one (superseded ones aside), each absent when has_... is false.
 */
struct dfs_delivery_node {
	char node[DFS_NODE_MAX];
	bool following, lags_current;
	bool has_delivered, has_latest;
	struct dfs_delivery delivered, latest;
};

/*
 * dfs_delivery_node_json — @n as one line of JSON without its newline:
 * {"node", "following", "lags_current", "delivered", "latest"}, the
 * deliveries as dfs_delivery_json writes them, or null. *@out is
 * malloc'd (the caller frees it). Errors: -ENOMEM.
 */
int dfs_delivery_node_json(const struct dfs_delivery_node *n, char **out,
			   size_t *len);

/*
 * dfs_delivery_node_decode — the same back from @len bytes. Returns 0 or
 * -EBADMSG (@n may be partly written then).
 */
int dfs_delivery_node_decode(const char *buf, size_t len,
			     struct dfs_delivery_node *n);

#endif
