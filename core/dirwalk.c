/* dirwalk — visit the entries of one directory. */
#include "dirwalk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int dfs_dirwalk_each(int parent, const char *name,
		     int (*fn)(void *arg, int dfd, const char *f,
			       const struct stat *sb),
		     void *arg)
{
	struct dirent *de;
	struct stat sb;
	int fd, rc = 0;
	DIR *d;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (!rc && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		rc = fn(arg, dirfd(d), de->d_name, &sb);
	}
	closedir(d);
	return rc;
}
