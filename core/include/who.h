/*
 * who — the process behind a request: uid, gid, pid, user name, command
 * line and provenance, so nobody has to type who deployed what, from
 * where, and of which revision.
 *
 * Provenance comes from /proc/<pid>/exe and a few named variables of
 * /proc/<pid>/environ, read streaming; the environment is never kept
 * whole. Every value is bounded by its field (longer ones are cut) and
 * made valid UTF-8; "" stands for null (absent or unreadable).
 */
#ifndef DFS_WHO_H
#define DFS_WHO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DFS_USER_MAX	64
#define DFS_COMMAND_MAX 2048

#define DFS_PROV_EXE_MAX  512
#define DFS_PROV_ADDR_MAX 64
#define DFS_PROV_REV_MAX  128
#define DFS_PROV_REF_MAX  256
#define DFS_PROV_URL_MAX  512
#define DFS_PROV_NOTE_MAX 512

/*
 * Where a deploy came from. Sources, first present (non-empty) one wins:
 *   ssh_client  SSH_CONNECTION, SSH_CLIENT (their first field)
 *   revision    DEPLOYFS_REVISION, GITHUB_SHA, CI_COMMIT_SHA, GIT_COMMIT,
 *               BUILDKITE_COMMIT, CIRCLE_SHA1
 *   ref         DEPLOYFS_REF, GITHUB_REF, CI_COMMIT_REF_NAME, GIT_BRANCH,
 *               BUILDKITE_BRANCH, CIRCLE_BRANCH
 *   ci_url      GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/
 *               GITHUB_RUN_ID (all three), CI_JOB_URL, BUILD_URL,
 *               BUILDKITE_BUILD_URL, CIRCLE_BUILD_URL
 *   note        DEPLOYFS_NOTE
 */
struct dfs_provenance {
	char exe[DFS_PROV_EXE_MAX];
	char ssh_client[DFS_PROV_ADDR_MAX];
	char revision[DFS_PROV_REV_MAX];
	char ref[DFS_PROV_REF_MAX];
	char ci_url[DFS_PROV_URL_MAX];
	char note[DFS_PROV_NOTE_MAX];
};

struct dfs_who {
	uint32_t uid;
	uint32_t gid;
	int32_t pid;
	char user[DFS_USER_MAX];       /* "" when the uid has no name */
	char command[DFS_COMMAND_MAX]; /* argv joined by spaces, may be "" */
	struct dfs_provenance prov;
};

#define DFS_GROUPS_MAX 32

/*
 * The raw identity of a request, before names are looked up; groups are
 * the supplementary groups, filled where permissions are checked.
 */
struct dfs_caller {
	uint32_t uid;
	uint32_t gid;
	int32_t pid;
	int ngroups;
	uint32_t groups[DFS_GROUPS_MAX];
};

/* Whether @c is in group @gid (primary or supplementary). */
bool dfs_caller_in_group(const struct dfs_caller *c, uint32_t gid);

/*
 * dfs_who_fill — fill @who from the ids, /proc/<pid>/cmdline and the
 * provenance of @pid. A process that is gone leaves command "" and no
 * provenance; a uid without a passwd entry leaves its number as the user
 * name. Cannot fail.
 */
void dfs_who_fill(struct dfs_who *who, uid_t uid, gid_t gid, pid_t pid);

/* The identity of the calling process itself (for tools). */
void dfs_who_self(struct dfs_who *who);

/*
 * dfs_provenance_fill — @p from /proc/<pid>/exe and /proc/<pid>/environ;
 * what cannot be read (a process gone, another user's) stays "".
 */
void dfs_provenance_fill(struct dfs_provenance *p, pid_t pid);

/*
 * A streaming reader of an environment block (NAME=value entries, each
 * ended by a NUL, as /proc/<pid>/environ holds them): feed it the bytes
 * in pieces of any size; it keeps only the variables named above, each
 * bounded, never the whole block. The struct is the caller's; its fields
 * are private.
 */
#define DFS_ENV_NAME_MAX 32
struct dfs_envscan {
	struct dfs_provenance *out;
	int best[5]; /* per field: rank of the variable that set it */
	char name[DFS_ENV_NAME_MAX];
	size_t nlen;
	int state; /* reading a name, a wanted value, or skipping */
	int var;   /* the wanted variable being read */
	char val[DFS_PROV_URL_MAX];
	size_t vlen;
	char gh_server[DFS_PROV_URL_MAX / 2];
	char gh_repo[DFS_PROV_URL_MAX / 2];
	char gh_run[32];
};

/* Start reading into @out; clears its fields but exe. */
void dfs_envscan_init(struct dfs_envscan *e, struct dfs_provenance *out);
void dfs_envscan_feed(struct dfs_envscan *e, const char *buf, size_t len);
/* An entry left without its NUL counts; composes ci_url. */
void dfs_envscan_finish(struct dfs_envscan *e);

#endif
