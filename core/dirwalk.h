/*
 * dirwalk — visit the entries of one directory, for the maintenance code
 * that sweeps STORE/tmp and STORE/blobs. Private to core/.
 */
#ifndef DFS_DIRWALK_H
#define DFS_DIRWALK_H

#include <sys/stat.h>

/*
 * dfs_dirwalk_each — call @fn for every entry of directory @parent/@name
 * whose name does not start with a dot, with the directory's fd, the
 * entry's name and its lstat. Entries that vanish meanwhile are skipped.
 * Stops at the first non-zero return of @fn and returns it. A missing
 * directory is empty (0); -errno when it cannot be opened or read.
 */
int dfs_dirwalk_each(int parent, const char *name,
		     int (*fn)(void *arg, int dfd, const char *f,
			       const struct stat *sb),
		     void *arg);

#endif
