/*
 * ctl — what deployctl's commands share: the store, output mode, argument
 * parsing and error reporting. Every command returns the exit status:
 * 0 success, 1 failure (not found, refused, I/O), 2 bad usage.
 */
#ifndef DFS_CTL_H
#define DFS_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "query.h"
#include "record.h"
#include "store.h"

enum {
	CTL_OK = 0,
	CTL_FAIL = 1,
	CTL_USAGE = 2
};

/*
 * Where the answers come from: the store (st) or, for a user who cannot
 * open it, a mount (mnt: see ctl_open).
 */
struct ctl {
	const char *store_dir; /* --store, else $DEPLOYFS_STORE */
	const char *catalog;   /* --catalog, else $DEPLOYFS_CATALOG */
	char *cache_dir;       /* a temp payload cache for --catalog alone */
	struct dfs_store *st;  /* opened on first use */
	bool json;
	const char *mount_dir; /* --mount: answer through this mount */
	const char *mount_env; /* $DEPLOYFS_MOUNT */
	char *mnt;	       /* the mount answering (malloc'd), or NULL */
};

/* Long options every command takes: --store, --mount, --json, --help. */
#define CTL_COMMON_OPTS                                                        \
	{"store", required_argument, NULL, 'S'},                               \
		{"mount", required_argument, NULL, 'M'},                       \
		{"json", no_argument, NULL, 'J'},                              \
	{                                                                      \
		"help", no_argument, NULL, 'H'                                 \
	}

/*
 * ctl_common — handle a common option @opt of a command whose help is
 * @usage. Returns -1 when @opt is not common (the command handles it), or
 * 0 to go on, or an exit status (help shown, bad option) to return.
 */
int ctl_common(struct ctl *c, int opt, const char *usage);
#define CTL_SHOWED_HELP 100 /* ctl_common's "help printed: exit 0" */

/*
 * ctl_parse_plain — parse a command taking only the common options and
 * @min to @max operands (left at argv[optind...]). 0 or an exit status.
 */
int ctl_parse_plain(struct ctl *c, int argc, char **argv, const char *usage,
		    int min, int max);

/*
 * ctl_copy — copy @in to @out through a 1 MiB buffer, calling @progress
 * (may be NULL) with the bytes done after each chunk. 0 or -errno.
 */
int ctl_copy(int in, int out, void (*progress)(void *arg, uint64_t done),
	     void *arg);

/* Open the store if needed; prints the error. Returns 0 or an exit code. */
int ctl_store(struct ctl *c);
/* Report dfs_store_open's @rc (0: nothing); returns 0 or an exit code. */
int ctl_store_error(struct ctl *c, int rc);

/*
 * ctl_open — choose where queries are answered: a mount given with
 * --mount; else the store (--store, $DEPLOYFS_STORE) unless it cannot be
 * opened for want of permission; else, or then, $DEPLOYFS_MOUNT or the
 * one deployfs mount in /proc/self/mountinfo (several: asks for
 * --mount). Prints the error. Returns 0 or an exit code.
 */
int ctl_open(struct ctl *c);

/*
 * The same calls on either source (after ctl_open), with the errors of
 * their core counterparts: dfs_catalog_get, dfs_query_run (ids only from
 * the mount's listings), the project's current, dfs_audit_scan.
 */
int ctl_get(struct ctl *c, const uint8_t id[16], struct dfs_record *r);
int ctl_query(struct ctl *c, const struct dfs_query *q,
	      int (*fn)(void *arg, const struct dfs_record *rec), void *arg,
	      uint64_t *total);
int ctl_current(struct ctl *c, const char *project, bool *has, uint8_t id[16]);
int ctl_audit_scan(struct ctl *c, uint64_t from,
		   int (*fn)(void *arg, const struct dfs_event *e), void *arg);

/* ctl_mount.c: the mount's side of the calls above. */
int ctl_mount_get(struct ctl *c, const uint8_t id[16], struct dfs_record *r);
int ctl_mount_query(struct ctl *c, const struct dfs_query *q,
		    int (*fn)(void *arg, const struct dfs_record *rec),
		    void *arg, uint64_t *total);
int ctl_mount_current(struct ctl *c, const char *project, bool *has,
		      uint8_t id[16]);
int ctl_mount_resolve(struct ctl *c, const char *name, uint8_t id[16]);
int ctl_mount_audit_scan(struct ctl *c, uint64_t from,
			 int (*fn)(void *arg, const struct dfs_event *e),
			 void *arg);
/*
 * ctl_mount_find — answer through --mount, else $DEPLOYFS_MOUNT, else the
 * one deployfs mount, whatever the store: 0, -1 (no mount found) or an
 * exit status (printed).
 */
int ctl_mount_find(struct ctl *c);
/* The mount's small file @rel (malloc'd, NUL-terminated). 0 or -errno. */
int ctl_mount_read(struct ctl *c, const char *rel, char **out, size_t *len);
/*
 * ctl_mount_fleet.c: the fleet through a mount. ctl_mount_nodes calls
 * @fn with each line of projects/<p>/nodes.json (-ENOENT: no project,
 * -EOPNOTSUPP: the mount has no fleet, not a shared catalog);
 * ctl_mount_deliveries with each deployments/<id>/deliveries/<node>.json
 * in node name order (-ENOENT: no deployment). @fn's non-zero return
 * stops the walk and is returned.
 */
struct dfs_delivery_node;
struct dfs_delivery;
int ctl_mount_nodes(struct ctl *c, const char *project,
		    int (*fn)(void *arg, const struct dfs_delivery_node *n),
		    void *arg);
int ctl_mount_deliveries(struct ctl *c, const uint8_t id[16],
			 int (*fn)(void *arg, const struct dfs_delivery *d),
			 void *arg);
/* deployments/<id>/payload opened for reading (the daemon verifies it). */
int ctl_mount_payload(struct ctl *c, const uint8_t id[16], int *fd);
/* rm deployments/<id>/payload; the user.pinned attribute (tree.h). */
int ctl_mount_drop(struct ctl *c, const uint8_t id[16]);
int ctl_mount_pin(struct ctl *c, const uint8_t id[16], bool on);

/* Print "deployctl: <message>" to stderr; returns @code. */
int ctl_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * --since/--until values, as dfs_time_parse_human takes them relative to
 * @now_ms; a date as --until means its last ms. 0 or CTL_USAGE (printed).
 */
int ctl_parse_time(const char *opt, const char *s, int64_t now_ms,
		   bool end_of_day, int64_t *ms);
int ctl_parse_count(const char *opt, const char *s, uint64_t *out);
/* A size with an optional suffix (10M, 1.5G). 0 or CTL_USAGE (printed). */
int ctl_parse_size(const char *opt, const char *s, uint64_t *out);

/*
 * Resolve a deployment name (id, unique prefix, PROJECT@N, @current,
 * @latest); prints the error. 0 or exit code.
 */
int ctl_resolve(struct ctl *c, const char *arg, uint8_t id[16]);

/* "<project>@<version>" of @r (its id when it has no version). */
void ctl_name(const struct dfs_record *r, char *out, size_t size);
/* The same for deployment @id, looked up (its id when it is gone). */
void ctl_name_of(struct ctl *c, const uint8_t id[16], char *out, size_t size);

/* "12.3 MiB" */
void ctl_human_size(uint64_t n, char *out, size_t size);

int cmd_list(struct ctl *c, int argc, char **argv);
int cmd_show(struct ctl *c, int argc, char **argv);
int cmd_audit(struct ctl *c, int argc, char **argv);
int cmd_payload(struct ctl *c, int argc, char **argv);
int cmd_drop_payload(struct ctl *c, int argc, char **argv);
int cmd_push(struct ctl *c, int argc, char **argv);
int cmd_rollback(struct ctl *c, int argc, char **argv);
int cmd_pin(struct ctl *c, int argc, char **argv);
int cmd_unpin(struct ctl *c, int argc, char **argv);
int cmd_retention(struct ctl *c, int argc, char **argv);
int cmd_gc(struct ctl *c, int argc, char **argv);
int cmd_verify(struct ctl *c, int argc, char **argv);
int cmd_project(struct ctl *c, int argc, char **argv);
int cmd_init(struct ctl *c, int argc, char **argv);
int cmd_import(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_wait(struct ctl *c, int argc, char **argv);

/*
 * ctl_wait_delivered — deployctl wait on deployment @id: until @nodes
 * (0: every follower of its project) have settled their delivery, or
 * @timeout_s (0: none) passed; prints the outcomes. Returns an exit
 * status: 1 when a delivery failed or the time ran out.
 */
int ctl_wait_delivered(struct ctl *c, const uint8_t id[16], unsigned nodes,
		       unsigned timeout_s);

/*
 * ctl_shared_store — open the shared catalog c->catalog as the store
 * (payload cache: --store, else a temp directory removed by
 * ctl_shared_close). Prints the error. Returns 0 or an exit code.
 */
int ctl_shared_store(struct ctl *c);
void ctl_shared_close(struct ctl *c);

#endif
