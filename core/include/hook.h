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
 * Running past the timeout kills its process group. This module only
 * spawns, pumps output and enforces the timeout, then reports how the
 * hook ended (struct dfs_hook_outcome) to the caller's callback; the
 * caller (deploy.c) decides the status and settles the deployment.
 * Meanwhile the record is pending in phase "hook".
 */
#ifndef DFS_HOOK_H
#define DFS_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"
#include "store.h"

struct dfs_hooks_conf {
	const char *path;   /* NULL: only per-project hooks */
	unsigned timeout_s; /* 0: no limit */
	bool wait;	    /* the writer's close waits for the hook */
};

struct dfs_hooks;

/*
 * dfs_hooks_new — a hook configuration for deploys into @st (given to
 * them in struct dfs_deploy_conf). Errors: -ENOMEM. Free with
 * dfs_hooks_free, before closing the store.
 */
int dfs_hooks_new(struct dfs_store *st, const struct dfs_hooks_conf *conf,
		  struct dfs_hooks **out);

/*
 * dfs_hooks_free — hooks still running are killed (their outcome is
 * DFS_HOOK_STOPPED) and waited for; then @h is freed.
 */
void dfs_hooks_free(struct dfs_hooks *h);

/* The hook path for @project into @path; false when it has none. */
bool dfs_hooks_find(struct dfs_hooks *h, const char *project, char *path,
		    size_t size);

/* How a hook ended. */
enum dfs_hook_end {
	DFS_HOOK_EXITED,    /* status: its exit status (0: success) */
	DFS_HOOK_SIGNALED,  /* status: the signal that killed it */
	DFS_HOOK_TIMED_OUT, /* ran past timeout_s and was killed */
	DFS_HOOK_NOT_RUN,   /* status: the -errno that kept it from running */
	DFS_HOOK_STOPPED,   /* killed by dfs_hooks_free without exiting 0 */
};

struct dfs_hook_outcome {
	enum dfs_hook_end end;
	int status;
	const char *hook;   /* its path */
	unsigned timeout_s; /* the limit it ran under (0: none) */
	const char *tail;   /* the last lines of its output */
};

/*
 * Called once per dfs_hooks_start with the record (the caller's to
 * settle, in place) and the outcome, both borrowed for the call, and the
 * deployment's log (still open, closed after the call). Runs on the
 * hook's thread, or inside dfs_hooks_start with hook_wait. Its return
 * value is what dfs_hooks_start returns with hook_wait.
 */
typedef int (*dfs_hook_done_fn)(void *arg, struct dfs_record *rec, int log_fd,
				const struct dfs_hook_outcome *o);

/*
 * dfs_hooks_start — run @hook for @rec, a pending record in phase hook
 * whose payload is stored, then call @done(@arg, ...) exactly once,
 * whatever happens (a hook that cannot even start: DFS_HOOK_NOT_RUN).
 * Takes over @log_fd (closed after @done). With hook_wait, runs the hook
 * here, copies the settled record back into @rec and returns what @done
 * returned; otherwise returns 0 at once and the hook runs on a thread of
 * its own (if no thread can be made, @done runs here with NOT_RUN).
 */
int dfs_hooks_start(struct dfs_hooks *h, struct dfs_record *rec,
		    const char *hook, int log_fd, dfs_hook_done_fn done,
		    void *arg);

/* Where a follower's hook output goes, chunk by chunk as it comes. */
typedef int (*dfs_hook_sink_fn)(void *arg, const void *buf, size_t n);

/*
 * dfs_hooks_run — a follower's delivery (deliver.h): run @hook for @rec
 * on the caller's thread, with DEPLOYFS_NODE=@node added to the usual
 * environment and its output handed to @sink, then call @done with
 * log_fd -1 and return what it returned. dfs_hooks_free kills it like
 * any other (DFS_HOOK_STOPPED). Errors: -ENOMEM, @done's.
 */
int dfs_hooks_run(struct dfs_hooks *h, const struct dfs_record *rec,
		  const char *hook, const char *node, dfs_hook_sink_fn sink,
		  void *sink_arg, dfs_hook_done_fn done, void *arg);

#endif
