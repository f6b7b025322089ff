/* log — see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isotime.h"
#include "store_impl.h"
#include "uuid7.h"

int dfs_log_open(struct dfs_store *st, enum dfs_side_file which,
		 const uint8_t id[16], bool write, int *fd)
{
	const char *dir = which == DFS_LOG ? "logs" : "manifests";
	char path[64], idstr[37];
	int f;

	dfs_uuid7_format(id, idstr);
	snprintf(path, sizeof(path), "%s/%s", dir, idstr);
	if (write) {
		if (mkdirat(st->dirfd, dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		f = openat(st->dirfd, path,
			   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	} else {
		f = openat(st->dirfd, path, O_RDONLY | O_CLOEXEC);
	}
	if (f < 0)
		return -errno;
	*fd = f;
	return 0;
}

int dfs_log_remove(struct dfs_store *st, const uint8_t id[16])
{
	static const char *const dirs[] = {"logs", "manifests"};
	char path[64], idstr[37];
	int rc = 0;

	dfs_uuid7_format(id, idstr);
	for (unsigned i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], idstr);
		if (unlinkat(st->dirfd, path, 0) < 0 && errno != ENOENT)
			rc = -errno;
	}
	return rc;
}

void dfs_log_printf(int fd, const char *fmt, ...)
{
	char line[1024], when[DFS_ISOTIME_LEN];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line),
		     "%s deployfs: ", dfs_time_format(dfs_time_now_ms(), when));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* O_APPEND: one write is one line even with the hook writing too. */
	if (write(fd, line, (size_t)n) < 0)
		return;
}
