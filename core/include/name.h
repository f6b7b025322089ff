/*
 * name — what may be written in deploy/.
 *
 * A project name is [A-Za-z0-9][A-Za-z0-9._-]{0,127}. A staging name is
 * any other name that starts with a dot: printable ASCII but '/', at most
 * DFS_NAME_MAX bytes, not "." or ".." (the temporary names tools write
 * before a rename: rsync's, Ansible's, mkstemp's). A staging name of the
 * form ".<project>.<suffix>", with a suffix of 6 to 16 characters
 * [A-Za-z0-9_] (rsync's), names its project.
 */
#ifndef DFS_NAME_H
#define DFS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DFS_PROJECT_MAX 128		       /* characters, without the NUL */
#define DFS_NAME_MAX	(DFS_PROJECT_MAX + 23) /* any name in deploy/ */

bool dfs_name_is_project(const char *s);

/* Whether @s is a staging name (whether or not it names its project). */
bool dfs_name_is_staging(const char *s);

/*
 * dfs_name_parse_staging — if @s is a staging name that names its project
 * (".<project>.<suffix>"), copy the project into @project
 * (DFS_PROJECT_MAX + 1 bytes) and return true.
 */
bool dfs_name_parse_staging(const char *s, char *project);

/*
 * dfs_name_parse_backup — if @s is a backup name of a project, the name
 * cp -b, install -b and rsync -b give the file they replace:
 * "<project>~" (*@number 0) or "<project>.~<N>~" (*@number N, 1 to
 * 10^18 with no leading zero), copy the project into @project
 * (DFS_PROJECT_MAX + 1 bytes) and return true. No project name holds a
 * '~', so a backup name is never a project's.
 */
bool dfs_name_parse_backup(const char *s, char *project, uint64_t *number);

#endif
