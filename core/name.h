/*
 * name — what may be written in deploy/.
 *
 * A project name is [A-Za-z0-9][A-Za-z0-9._-]{0,127}. A staging name is
 * ".<project>.<suffix>" with a suffix of 6 to 16 characters [A-Za-z0-9_],
 * the temporary name rsync and similar tools give before a rename.
 */
#ifndef DFS_NAME_H
#define DFS_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define DFS_PROJECT_MAX 128 /* characters, without the NUL */

bool dfs_name_is_project(const char *s);

/*
 * dfs_name_parse_staging — if @s is a staging name, copy its project into
 * @project (DFS_PROJECT_MAX + 1 bytes) and return true.
 */
bool dfs_name_parse_staging(const char *s, char *project);

#endif
