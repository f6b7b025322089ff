/*
 * ctl_mount — deployctl's second source: the same answers read through a
 * mount, for users who cannot open the store (it is 0700) but can read
 * the tree. Records come from deployments/<id>/record.json, listings from
 * newest/<filter>/ (newest first, seekable by time: see tree.h), names
 * from projects/<p>/{v<N>,current,latest}, events from audit.log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "audit.h"
#include "ctl.h"
#include "isotime.h"
#include "query.h"
#include "tree.h"
#include "uuid7.h"

#define PATH_LEN 4096

/* A mount's file: 0, or -ENAMETOOLONG. */
static int mpath(const struct ctl *c, char *out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int mpath(const struct ctl *c, char *out, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(out, PATH_LEN, "%s/", c->mnt);

	va_start(ap, fmt);
	n += vsnprintf(out + n, PATH_LEN - (size_t)n, fmt, ap);
	va_end(ap);
	return n >= PATH_LEN ? -ENAMETOOLONG : 0;
}

/* A whole small file, malloc'd and NUL-terminated. 0 or -errno. */
static int slurp(const char *path, char **out, size_t *len)
{
	size_t size = 8192, n = 0;
	char *buf = malloc(size), *bigger;
	ssize_t got;
	int fd, rc = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(buf);
		return rc;
	}
	while ((got = read(fd, buf + n, size - n - 1)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			break;
		}
		n += (size_t)got;
		if (size - n - 1 == 0) {
			bigger = realloc(buf, size * 2);
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			buf = bigger;
			size *= 2;
		}
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int ctl_mount_read(struct ctl *c, const char *rel, char **out, size_t *len)
{
	char path[PATH_LEN];
	int rc = mpath(c, path, "%s", rel);

	return rc ? rc : slurp(path, out, len);
}

int ctl_mount_get(struct ctl *c, const uint8_t id[16], struct dfs_record *r)
{
	char path[PATH_LEN], idstr[37], *buf = NULL;
	size_t len = 0;
	int rc;

	dfs_uuid7_format(id, idstr);
	rc = mpath(c, path, "deployments/%s/record.json", idstr);
	if (!rc)
		rc = slurp(path, &buf, &len);
	if (rc)
		return rc;
	rc = dfs_record_decode(buf, len, r);
	free(buf);
	return rc;
}

/* The id a link of the tree names ("../../deployments/<id>"). */
static int link_id(struct ctl *c, const char *rel, uint8_t id[16])
{
	char path[PATH_LEN], target[256];
	const char *slash;
	ssize_t n;
	int rc = mpath(c, path, "%s", rel);

	if (rc)
		return rc;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return dfs_uuid7_parse(slash ? slash + 1 : target, id) ? -EBADMSG : 0;
}

int ctl_mount_current(struct ctl *c, const char *project, bool *has,
		      uint8_t id[16])
{
	char rel[DFS_PROJECT_MAX + 32];
	int rc;

	snprintf(rel, sizeof(rel), "projects/%s/current", project);
	rc = link_id(c, rel, id);
	*has = rc == 0;
	return rc == -ENOENT ? 0 : rc;
}

/* newest/<filter> of a query (see tree.h). */
static void query_dir(const struct dfs_query *q, char *out, size_t size)
{
	if (q->project && q->has_status)
		snprintf(out, size, "newest/%s:%s", q->project,
			 dfs_status_name(q->status));
	else if (q->project)
		snprintf(out, size, "newest/%s", q->project);
	else if (q->has_status)
		snprintf(out, size, "newest/:%s", dfs_status_name(q->status));
	else
		snprintf(out, size, "newest/:all");
}

/*
 * A walk reads the directory itself, in buffers that start at one page
 * (each entry costs the daemon a record read: a page of 20 should not
 * read thousands) and grow while the walk goes on.
 */
#define WALK_MIN (4 << 10)
#define WALK_MAX (256 << 10)

struct walk {
	int fd;
	const struct dfs_query *q;
	uint64_t matched;
	char *buf;
	size_t size, used, pos;
};

/* The next id of the query's range, newest first: 1, 0 at its end. */
static int walk_next(struct walk *w, uint8_t id[16])
{
	struct dirent64 *de;
	ssize_t n;

	for (;;) {
		if (w->pos >= w->used) {
			n = getdents64(w->fd, w->buf, w->size);
			if (n < 0)
				return -errno;
			if (n == 0)
				return 0;
			w->used = (size_t)n;
			w->pos = 0;
			if (w->size < WALK_MAX) {
				char *bigger = realloc(w->buf, w->size * 4);

				if (bigger) {
					w->buf = bigger;
					w->size *= 4;
				}
			}
		}
		de = (struct dirent64 *)(w->buf + w->pos);
		w->pos += de->d_reclen;
		if (dfs_uuid7_parse(de->d_name, id) != 0)
			continue; /* "." and ".." */
		if (w->q->since_ms != DFS_TIME_NONE &&
		    (int64_t)dfs_uuid7_ms(id) < w->q->since_ms)
			return 0;
		return 1;
	}
}

static void walk_close(struct walk *w)
{
	close(w->fd);
	free(w->buf);
}

static int walk_open(struct ctl *c, const struct dfs_query *q, struct walk *w,
		     struct stat *sb)
{
	char path[PATH_LEN], rel[DFS_PROJECT_MAX + 32];
	int rc;

	query_dir(q, rel, sizeof(rel));
	rc = mpath(c, path, "%s", rel);
	if (rc)
		return rc;
	memset(w, 0, sizeof(*w));
	w->q = q;
	w->size = WALK_MIN;
	w->buf = malloc(w->size);
	if (!w->buf)
		return -ENOMEM;
	w->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->fd < 0 || fstat(w->fd, sb) < 0)
		goto out_err;
	/* An offset past the cursors is a time: start at --until. */
	if (q->until_ms != DFS_TIME_NONE &&
	    lseek(w->fd, (off_t)(DFS_TREE_OFF_TIME + (uint64_t)q->until_ms),
		  SEEK_SET) < 0)
		goto out_err;
	return 0;
out_err:
	rc = -errno;
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	return rc;
}

int ctl_mount_query(struct ctl *c, const struct dfs_query *q,
		    int (*fn)(void *arg, const struct dfs_record *rec),
		    void *arg, uint64_t *total)
{
	bool ranged =
		q->since_ms != DFS_TIME_NONE || q->until_ms != DFS_TIME_NONE;
	uint64_t taken = 0;
	struct dfs_record r;
	struct stat sb;
	struct walk w;
	uint8_t id[16];
	int rc, more = 0;

	if (total)
		*total = 0;
	if (q->project && !dfs_name_is_project(q->project))
		return -EINVAL;
	if (q->until_ms != DFS_TIME_NONE && q->until_ms < 0)
		return 0;
	rc = walk_open(c, q, &w, &sb);
	if (rc == -ENOENT)
		return 0; /* no such project: no deployment */
	if (rc)
		return rc;
	/* Without a time range the directory's size is the count. */
	if (total && !ranged)
		*total = (uint64_t)sb.st_size;
	rc = 0;
	while (!rc && (more = walk_next(&w, id)) == 1) {
		w.matched++;
		if (w.matched <= q->offset)
			continue;
		if (q->limit && taken >= q->limit) {
			if (!total || !ranged)
				break;
			continue; /* counting the rest of the range */
		}
		rc = ctl_mount_get(c, id, &r);
		if (rc == -ENOENT) {
			rc = 0; /* removed since it was listed */
			continue;
		}
		if (!rc)
			rc = fn(arg, &r);
		taken++;
	}
	if (!rc && more < 0)
		rc = more;
	if (total && ranged)
		*total = w.matched;
	walk_close(&w);
	return rc;
}

/*
 * An id prefix: the deployments started in the milliseconds it can name,
 * newest first from the last of them; two matches are enough to say.
 */
static int resolve_prefix(struct ctl *c, const char *prefix, uint8_t id[16])
{
	uint8_t lo[16], cand[16];
	uint64_t lo_ms = 0, hi_ms;
	unsigned nib, matches = 0;
	struct dfs_query q;
	struct stat sb;
	struct walk w;
	int rc;

	rc = dfs_uuid7_parse_prefix(prefix, lo, &nib);
	if (rc)
		return rc;
	lo_ms = dfs_uuid7_ms(lo);
	hi_ms = nib >= 12 ? lo_ms : lo_ms | ((1ULL << (48 - 4 * nib)) - 1);
	dfs_query_init(&q);
	q.since_ms = (int64_t)lo_ms;
	q.until_ms = (int64_t)hi_ms;
	rc = walk_open(c, &q, &w, &sb);
	if (rc)
		return rc;
	while (matches < 2 && (rc = walk_next(&w, cand)) == 1) {
		bool same = true;

		for (unsigned i = 0; i < nib && same; i++) {
			unsigned a =
				i % 2 ? cand[i / 2] & 15 : cand[i / 2] >> 4;
			unsigned b = i % 2 ? lo[i / 2] & 15 : lo[i / 2] >> 4;

			same = a == b;
		}
		if (same && matches++ == 0)
			memcpy(id, cand, 16);
	}
	walk_close(&w);
	if (rc < 0)
		return rc;
	if (matches != 1)
		return matches == 0 ? -ENOENT : -ENOTUNIQ;
	return 0;
}

int ctl_mount_resolve(struct ctl *c, const char *name, uint8_t id[16])
{
	char project[DFS_PROJECT_MAX + 1], rel[DFS_PROJECT_MAX + 64];
	enum dfs_name_kind kind;
	uint64_t version;
	int rc;

	rc = dfs_query_parse_name(name, &kind, project, &version);
	if (rc)
		return rc;
	switch (kind) {
	case DFS_NAME_VERSION:
		snprintf(rel, sizeof(rel), "projects/%s/v%llu", project,
			 (unsigned long long)version);
		break;
	case DFS_NAME_CURRENT:
		snprintf(rel, sizeof(rel), "projects/%s/current", project);
		break;
	case DFS_NAME_LATEST:
		snprintf(rel, sizeof(rel), "projects/%s/latest", project);
		break;
	default:
		return resolve_prefix(c, name, id);
	}
	rc = link_id(c, rel, id);
	return rc == -ENOTDIR ? -ENOENT : rc;
}

/* Complete lines of audit.log from @from, each decoded for @fn. */
int ctl_mount_audit_scan(struct ctl *c, uint64_t from,
			 int (*fn)(void *arg, const struct dfs_event *e),
			 void *arg)
{
	size_t size = 1 << 16, have = 0, start;
	char path[PATH_LEN], *buf, *nl, *bigger;
	struct dfs_event e;
	uint64_t off = from;
	ssize_t n;
	int fd, rc;

	rc = mpath(c, path, "audit.log");
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = pread(fd, buf + have, size - have, (off_t)(off + have))) !=
	       0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		have += (size_t)n;
		for (start = 0;
		     (nl = memchr(buf + start, '\n', have - start)) != NULL;
		     start = (size_t)(nl - buf) + 1) {
			size_t len = (size_t)(nl - buf) + 1 - start;

			rc = dfs_audit_decode(off + start, buf + start, len,
					      &e);
			if (!rc)
				rc = fn(arg, &e);
			if (rc)
				goto out;
		}
		/* Keep a partial line: the rest of it is read next. */
		memmove(buf, buf + start, have - start);
		off += start;
		have -= start;
		if (have == size) {
			bigger = realloc(buf, size * 2);
			if (!bigger) {
				rc = -ENOMEM;
				break;
			}
			buf = bigger;
			size *= 2;
		}
	}
out:
	free(buf);
	close(fd);
	return rc;
}

int ctl_mount_payload(struct ctl *c, const uint8_t id[16], int *fd)
{
	char path[PATH_LEN], idstr[37];
	int rc;

	dfs_uuid7_format(id, idstr);
	rc = mpath(c, path, "deployments/%s/payload", idstr);
	if (rc)
		return rc;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

int ctl_mount_drop(struct ctl *c, const uint8_t id[16])
{
	char path[PATH_LEN], idstr[37];
	int rc;

	dfs_uuid7_format(id, idstr);
	rc = mpath(c, path, "deployments/%s/payload", idstr);
	if (rc)
		return rc;
	return unlink(path) < 0 ? -errno : 0;
}

int ctl_mount_pin(struct ctl *c, const uint8_t id[16], bool on)
{
	char path[PATH_LEN], idstr[37];
	int rc;

	dfs_uuid7_format(id, idstr);
	rc = mpath(c, path, "deployments/%s", idstr);
	if (rc)
		return rc;
	rc = on ? setxattr(path, DFS_TREE_XATTR_PINNED, "1", 1, 0)
		: removexattr(path, DFS_TREE_XATTR_PINNED);
	return rc < 0 ? -errno : 0;
}

/* A mountinfo field, its \ooo escapes undone, into @out. */
static void unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '3') {
			out[o++] = (char)((s[i + 1] - '0') << 6 |
					  (s[i + 2] - '0') << 3 |
					  (s[i + 3] - '0'));
			i += 3;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
}

/*
 * The deployfs mounts this process sees: type fuse.deployfs (the daemon
 * names itself so), or a FUSE mount whose source is "deployfs". The
 * first two go to @a and @b; *@n is how many there are.
 */
static int find_mounts(char a[PATH_LEN], char b[PATH_LEN], unsigned *n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *f5, *sep, *type, *src, *end;
	size_t cap = 0;

	*n = 0;
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *p = line;

		/* id parent maj:min root MOUNTPOINT ... - TYPE SOURCE ... */
		for (int i = 0; i < 4 && p; i++)
			p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
		sep = p ? strstr(p, " - ") : NULL;
		if (!sep)
			continue;
		f5 = p;
		type = sep + 3;
		src = strchr(type, ' ');
		if (!src)
			continue;
		*src++ = '\0';
		end = strchr(src, ' ');
		if (end)
			*end = '\0';
		if (strcmp(type, "fuse.deployfs") != 0 &&
		    !(strncmp(type, "fuse", 4) == 0 &&
		      strcmp(src, "deployfs") == 0))
			continue;
		if (*n < 2)
			unescape(f5, (size_t)(strchr(f5, ' ') - f5), *n ? b : a,
				 PATH_LEN);
		(*n)++;
	}
	free(line);
	fclose(f);
	return 0;
}

/* Answer through @dir from now on, once it looks like a deployfs tree. */
static int use_mount(struct ctl *c, const char *dir)
{
	char path[PATH_LEN];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/newest", dir);
	if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return ctl_error(CTL_FAIL,
				 "'%s' is not a deployfs mount (or its daemon "
				 "is older than this deployctl): %s",
				 dir, strerror(errno ? errno : ENOTDIR));
	c->mnt = strdup(dir);
	return c->mnt ? 0 : ctl_error(CTL_FAIL, "%s", strerror(ENOMEM));
}

/*
 * $DEPLOYFS_MOUNT, else the one deployfs mount: 0, -1 (none) or an exit
 * status (a named directory that is no mount is CTL_FAIL).
 */
static int find_mount(struct ctl *c)
{
	char a[PATH_LEN], b[PATH_LEN];
	unsigned n;

	if (c->mount_env && *c->mount_env)
		return use_mount(c, c->mount_env);
	if (find_mounts(a, b, &n) != 0 || n == 0)
		return -1;
	if (n > 1)
		return ctl_error(CTL_USAGE,
				 "%u deployfs mounts ('%s', '%s'%s): choose "
				 "one with --mount MOUNT",
				 n, a, b, n > 2 ? ", ..." : "");
	return use_mount(c, a);
}

int ctl_mount_find(struct ctl *c)
{
	if (c->mnt)
		return 0;
	if (c->mount_dir && *c->mount_dir)
		return use_mount(c, c->mount_dir);
	return find_mount(c);
}

int ctl_open(struct ctl *c)
{
	int rc;

	if (c->st || c->mnt)
		return 0;
	if (c->mount_dir && *c->mount_dir)
		return use_mount(c, c->mount_dir);
	if (c->catalog && *c->catalog)
		return ctl_shared_store(c);
	if (c->store_dir && *c->store_dir) {
		rc = dfs_store_open(c->store_dir, 0, 0, &c->st);
		if (rc != -EACCES)
			return ctl_store_error(c, rc);
		/* Not ours to open: the team reads it through a mount. */
		rc = find_mount(c);
		if (rc != -1)
			return rc;
		return ctl_error(CTL_FAIL,
				 "cannot open '%s': %s (and no deployfs "
				 "mount found: give one with --mount MOUNT)",
				 c->store_dir, strerror(EACCES));
	}
	rc = find_mount(c);
	if (rc != -1)
		return rc;
	return ctl_error(CTL_USAGE, "no store: use --store STORE or set "
				    "DEPLOYFS_STORE, or --mount MOUNT");
}
