/*
 * who — the process behind a request: uid, gid, pid, user name and command
 * line, so nobody has to type who deployed what.
 */
#ifndef DFS_WHO_H
#define DFS_WHO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define DFS_USER_MAX	64
#define DFS_COMMAND_MAX 2048

struct dfs_who {
	uint32_t uid;
	uint32_t gid;
	int32_t pid;
	char user[DFS_USER_MAX];       /* "" when the uid has no name */
	char command[DFS_COMMAND_MAX]; /* argv joined by spaces, may be "" */
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
 * dfs_who_fill — fill @who from the ids and /proc/<pid>/cmdline. A process
 * that is gone leaves command ""; a uid without a passwd entry leaves its
 * number as the user name. Cannot fail.
 */
void dfs_who_fill(struct dfs_who *who, uid_t uid, gid_t gid, pid_t pid);

/* The identity of the calling process itself (for tools). */
void dfs_who_self(struct dfs_who *who);

#endif
