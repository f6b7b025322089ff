/* gc — see gc.h. */
#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blobs.h"
#include "dirwalk.h"
#include "store_impl.h"

/* Whether a daemon serves the store: its lock cannot be taken. */
static bool daemon_running(struct dfs_store *st)
{
	int fd = openat(st->dirfd, "daemon.lock", O_RDWR | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* releases the lock if we got it */
	return held;
}

struct ctx {
	bool dry_run;
	struct dfs_orphans *out;
};

static int temp_file(void *arg, int dfd, const char *f, const struct stat *sb)
{
	struct ctx *c = arg;

	if (!S_ISREG(sb->st_mode))
		return 0;
	if (!c->dry_run && unlinkat(dfd, f, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	c->out->temps++;
	c->out->temp_bytes += (uint64_t)sb->st_size;
	return 0;
}

int dfs_gc_orphans(struct dfs_store *st, bool dry_run, struct dfs_orphans *out)
{
	struct ctx c = {dry_run, out};
	time_t before;
	int rc;

	memset(out, 0, sizeof(*out));
	/* The daemon itself holds the lock: it counts as serving. */
	out->daemon = st->lockfd >= 0 || daemon_running(st);
	before = out->daemon ? time(NULL) - DFS_GC_GRACE_S : time(NULL) + 1;
	rc = dfs_blobs_orphans(dfs_store_blobs(st), before, dry_run,
			       &out->blobs, &out->blob_bytes);
	if (!rc && !out->daemon)
		rc = dfs_dirwalk_each(st->dirfd, "tmp", temp_file, &c);
	return rc;
}
