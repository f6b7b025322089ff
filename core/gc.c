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

#include "blob.h"
#include "catalog.h"
#include "record.h"
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

/* Visit the regular files of directory @dirfd/@name. */
static int each_file(int parent, const char *name,
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
		close(fd);
		return -errno;
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

struct ctx {
	struct dfs_store *st;
	bool dry_run;
	time_t before; /* orphan blobs must be older (ctime) than this */
	struct dfs_orphans *out;
};

static int blob_file(void *arg, int dfd, const char *f, const struct stat *sb)
{
	struct ctx *c = arg;
	uint8_t hash[32];
	uint64_t refs;
	int rc;

	if (!S_ISREG(sb->st_mode) || dfs_hash_parse(f, hash) != 0)
		return 0;
	rc = dfs_catalog_blob_refs(dfs_store_catalog(c->st), hash, &refs);
	if (rc || refs > 0 || sb->st_ctime >= c->before)
		return rc;
	/* Under the blob lock, checking the references again. */
	rc = c->dry_run ? 0 : dfs_blob_remove(c->st, hash);
	if (rc == -EBUSY || rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	c->out->blobs++;
	c->out->blob_bytes += (uint64_t)sb->st_size;
	return 0;
}

static int fan_dir(void *arg, int dfd, const char *f, const struct stat *sb)
{
	return S_ISDIR(sb->st_mode) ? each_file(dfd, f, blob_file, arg) : 0;
}

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
	struct ctx c = {st, dry_run, 0, out};
	int rc;

	memset(out, 0, sizeof(*out));
	/* The daemon itself holds the lock: it counts as serving. */
	out->daemon = st->lockfd >= 0 || daemon_running(st);
	c.before = out->daemon ? time(NULL) - DFS_GC_GRACE_S : time(NULL) + 1;
	rc = each_file(st->dirfd, "blobs", fan_dir, &c);
	if (!rc && !out->daemon)
		rc = each_file(st->dirfd, "tmp", temp_file, &c);
	return rc;
}
