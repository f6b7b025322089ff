/* service — fstab options, stale mounts and readiness; see service.h. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "service.h"

bool dfs_service_mount_only_opt(const char *opt)
{
	static const char *const names[] = {
		"_netdev", "auto",  "noauto", "nofail", "user",
		"nouser",  "users", "owner",  "group",	"defaults",
	};

	if (strncmp(opt, "x-", 2) == 0 || strncmp(opt, "comment=", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(opt, names[i]) == 0)
			return true;
	return false;
}

/*
 * The absolute path of @path, whose last component may be a dead mount
 * (realpath fails on it): its parent resolved, then its name. 0 or -errno.
 */
static int absolute_mountpoint(const char *path, char out[PATH_MAX])
{
	char parent[PATH_MAX], dir[PATH_MAX];
	const char *base;
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, len);
	dir[len] = '\0';
	base = strrchr(dir, '/');
	if (!base) {
		base = dir;
		strcpy(parent, ".");
	} else if (base == dir) {
		base++;
		strcpy(parent, "/");
	} else {
		memcpy(parent, dir, (size_t)(base - dir));
		parent[base - dir] = '\0';
		base++;
	}
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	if (!realpath(parent, out))
		return -errno;
	len = strlen(out);
	if (len + 1 + strlen(base) >= PATH_MAX)
		return -ENAMETOOLONG;
	snprintf(out + len, PATH_MAX - len, "%s%s",
		 strcmp(out, "/") == 0 ? "" : "/", base);
	return 0;
}

/* Undo mountinfo's octal escapes (\040 for a space, …) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/*
 * Whether the topmost mount at absolute path @dir has file system type
 * "fuse.deployfs", by /proc/self/mountinfo.
 */
static bool is_deployfs_mount(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *mnt, *type, *sep;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root MOUNTPOINT opts [fields] - TYPE … */
		if (sscanf(line, "%*s %*s %*s %*s %ms", &mnt) != 1)
			continue;
		unescape(mnt);
		sep = strstr(line, " - ");
		if (strcmp(mnt, dir) == 0 && sep) {
			type = sep + 3;
			/* The last mount listed at a path is the one on top. */
			found = strncmp(type, "fuse.deployfs ", 14) == 0;
		}
		free(mnt);
	}
	free(line);
	fclose(f);
	return found;
}

/* Run fusermount3 -uz on @dir; 0 when it exited 0, else -errno. */
static int lazy_unmount(const char *dir)
{
	char *argv[] = {"fusermount3", "-u", "-z", "--", (char *)dir, NULL};
	pid_t pid;
	int rc, status;

	rc = posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ);
	if (rc)
		return -rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

int dfs_service_clear_stale(const char *mountpoint)
{
	char dir[PATH_MAX];
	struct stat st;

	if (stat(mountpoint, &st) == 0 || errno != ENOTCONN)
		return 0;
	if (absolute_mountpoint(mountpoint, dir) == 0 &&
	    is_deployfs_mount(dir) && lazy_unmount(dir) == 0 &&
	    stat(mountpoint, &st) == 0) {
		fprintf(stderr,
			"deployfs: %s: detached a stale mount left by a "
			"deployfs that died (%s)\n",
			mountpoint, strerror(ENOTCONN));
		return 0;
	}
	fprintf(stderr,
		"deployfs: %s: %s: a stale mount? run 'fusermount3 -uz %s' "
		"and start again\n",
		mountpoint, strerror(ENOTCONN), mountpoint);
	return -ENOTCONN;
}

struct dfs_notifier {
	pthread_t thread;
	pthread_mutex_t lock;
	bool stopping;
	char *mountpoint;
};

static void *notify_ready(void *arg)
{
	struct dfs_notifier *n = arg;
	struct stat st;

	/* Answered by the session loop, through the mount's root. */
	if (stat(n->mountpoint, &st) != 0) {
		fprintf(stderr, "deployfs: %s does not answer: %s\n",
			n->mountpoint, strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&n->lock);
	if (!n->stopping)
		sd_notifyf(0, "READY=1\nSTATUS=serving %s", n->mountpoint);
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

struct dfs_notifier *dfs_notifier_start(const char *mountpoint)
{
	struct dfs_notifier *n;
	int rc;

	if (!getenv("NOTIFY_SOCKET"))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->mountpoint = strdup(mountpoint))) {
		rc = ENOMEM;
		goto out_free;
	}
	pthread_mutex_init(&n->lock, NULL);
	rc = pthread_create(&n->thread, NULL, notify_ready, n);
	if (rc == 0)
		return n;
	pthread_mutex_destroy(&n->lock);
out_free:
	fprintf(stderr, "deployfs: cannot report readiness: %s\n",
		strerror(rc));
	if (n)
		free(n->mountpoint);
	free(n);
	return NULL;
}

void dfs_notifier_stopping(struct dfs_notifier *n)
{
	if (n) {
		pthread_mutex_lock(&n->lock);
		n->stopping = true;
		pthread_mutex_unlock(&n->lock);
	}
	sd_notify(0, "STOPPING=1");
}

void dfs_notifier_free(struct dfs_notifier *n)
{
	if (!n)
		return;
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->lock);
	free(n->mountpoint);
	free(n);
}
