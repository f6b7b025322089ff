/*
 * hook — what runs after a payload is stored and checked: unpack, restart,
 * notify. A store has at most one hook configuration (the daemon's -o
 * hook=PATH, hook_timeout=SECONDS, hook_wait); an executable file
 * STORE/hooks/<project> overrides the path for that project.
 *
 * The hook runs with the payload on stdin and in its environment
 *   DEPLOYFS_ID, DEPLOYFS_PROJECT, DEPLOYFS_SHA256,
 *   DEPLOYFS_PAYLOAD   the payload's path in the blob store (read-only),
 *   DEPLOYFS_STORE     the store's directory;
 * its stdout and stderr are appended to the deployment's log as they come.
 * Exit 0 settles the deployment success; any other exit fails it with code
 * "hook_failed" and the last lines of output as message; running past the
 * timeout kills its process group and fails it with "hook_timeout".
 * Meanwhile the record is pending in phase "hook".
 */
#ifndef DFS_HOOK_H
#define DFS_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "record.h"
#include "store.h"

struct dfs_hooks_conf {
	const char *path;   /* NULL: only per-project hooks */
	unsigned timeout_s; /* 0: no limit */
	bool wait;	    /* the writer's close waits for the hook */
};

struct dfs_hooks;

/*
 * dfs_hooks_new — attach a hook configuration to @st (deploys committed
 * through @st then run hooks). Errors: -ENOMEM. Free with dfs_hooks_free,
 * before closing the store.
 */
int dfs_hooks_new(struct dfs_store *st, const struct dfs_hooks_conf *conf,
		  struct dfs_hooks **out);

/*
 * dfs_hooks_free — detach; hooks still running are killed and their
 * deployments fail with code "interrupted".
 */
void dfs_hooks_free(struct dfs_hooks *h);

/* The hooks attached to @st, or NULL. */
struct dfs_hooks *dfs_hooks_of(struct dfs_store *st);

/* The hook path for @project into @path; false when it has none. */
bool dfs_hooks_find(struct dfs_hooks *h, const char *project, char *path,
		    size_t size);

/*
 * dfs_hooks_start — run @hook for @rec, a pending record in phase hook
 * whose payload is stored, and settle it (with @attr, may be NULL, for the
 * project on success). Takes over @log_fd (closed when done). With
 * hook_wait, waits, sets @rec to the settled record and returns 0 for
 * success, -ECANCELED (hook_failed) or -ETIMEDOUT (hook_timeout);
 * otherwise returns 0 at once and the hook runs on a thread of its own.
 * Errors: -ENOMEM, -EAGAIN.
 */
int dfs_hooks_start(struct dfs_hooks *h, struct dfs_record *rec,
		    const char *hook, int log_fd,
		    const struct dfs_project_attr *attr);

#endif
