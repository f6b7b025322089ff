/*
 * testutil — fixtures and independent reference checks for the unit tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/sha.h>

#include "testutil.h"

#include "pgcatutil.h"

static int fix_new(struct tu_fix **out)
{
	const char *tmp = getenv("TMPDIR");
	struct tu_fix *fix;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	fix = calloc(1, sizeof(*fix));
	if (!fix)
		return -1;
	snprintf(fix->base, sizeof(fix->base), "%s/dfs-unit.XXXXXX", tmp);
	if (!mkdtemp(fix->base)) {
		perror("mkdtemp");
		free(fix);
		return -1;
	}
	if (snprintf(fix->dir, sizeof(fix->dir), "%s/store", fix->base) >=
	    (int)sizeof(fix->dir)) {
		rmdir(fix->base);
		free(fix);
		return -1;
	}
	*out = fix;
	return 0;
}

int tu_dir_setup(void **state)
{
	struct tu_fix *fix;

	if (fix_new(&fix))
		return -1;
	*state = fix;
	return 0;
}

int tu_store_setup(void **state)
{
	struct tu_fix *fix;
	int rc;

	if (fix_new(&fix))
		return -1;
	rc = dfs_store_open(fix->dir, DFS_STORE_CREATE | DFS_STORE_EXCLUSIVE, 0,
			    &fix->st);
	if (rc) {
		fprintf(stderr, "dfs_store_open(%s): %s\n", fix->dir,
			strerror(-rc));
		tu_rmtree(fix->base);
		free(fix);
		return -1;
	}
	*state = fix;
	return 0;
}

/*
 * The one place a catalog suite learns which backend it runs against:
 * $DEPLOYFS_TEST_CATALOG names it ("lmdb", the default: a catalog in
 * fix->dir). A second backend adds its branch here.
 */
int tu_catalog_open(struct tu_fix *fix)
{
	const char *which = getenv("DEPLOYFS_TEST_CATALOG");
	char node[DFS_HOST_MAX] = "";

	if (gethostname(node, sizeof(node) - 1) < 0)
		strcpy(node, "localhost");
	if (fix->cat) {
		dfs_catalog_close(fix->cat);
		fix->cat = NULL;
	}
	if (!which || !*which || strcmp(which, "lmdb") == 0)
		return dfs_catalog_open_lmdb(fix->dir, DFS_CATALOG_CREATE, 0,
					     node, &fix->cat);
	if (strcmp(which, "pg") == 0)
		return tu_pg_open(fix->base, node, &fix->cat);
	fprintf(stderr, "DEPLOYFS_TEST_CATALOG=%s: no such backend\n", which);
	return -EINVAL;
}

int tu_catalog_setup(void **state)
{
	struct tu_fix *fix;
	int rc;

	if (fix_new(&fix))
		return -1;
	if (mkdir(fix->dir, 0700) < 0) {
		tu_rmtree(fix->base);
		free(fix);
		return -1;
	}
	rc = tu_catalog_open(fix);
	if (rc) {
		fprintf(stderr, "catalog in %s: %s\n", fix->dir, strerror(-rc));
		tu_rmtree(fix->base);
		free(fix);
		return -1;
	}
	*state = fix;
	return 0;
}

int tu_teardown(void **state)
{
	struct tu_fix *fix = *state;

	if (!fix)
		return 0;
	if (fix->cat)
		dfs_catalog_close(fix->cat);
	if (fix->st)
		dfs_store_close(fix->st);
	if (getenv("DEPLOYFS_TEST_CATALOG") &&
	    strcmp(getenv("DEPLOYFS_TEST_CATALOG"), "pg") == 0)
		tu_pg_drop(fix->base);
	tu_rmtree(fix->base);
	free(fix);
	*state = NULL;
	return 0;
}

int tu_recover(struct dfs_store *st, unsigned *n)
{
	struct dfs_who self;
	int rc;

	dfs_who_self(&self);
	rc = dfs_catalog_recover(dfs_store_catalog(st), &self, n);
	return rc ? rc : dfs_store_clear_tmp(st);
}

int tu_reopen(struct tu_fix *fix, unsigned flags, uint64_t map_size)
{
	if (fix->st) {
		dfs_store_close(fix->st);
		fix->st = NULL;
	}
	return dfs_store_open(fix->dir, flags, map_size, &fix->st);
}

static int rm_one(const char *path, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		chmod(path, 0700);
	remove(path);
	return 0;
}

static int open_one(const char *path, const struct stat *sb, int type,
		    struct FTW *ftw)
{
	(void)ftw;
	/* Let the walk into directories the library made read-only. */
	if (type == FTW_D && (sb->st_mode & 0700) != 0700)
		chmod(path, 0700);
	return 0;
}

void tu_path(char *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX) {
		fprintf(stderr, "path too long: %s\n", fmt);
		abort();
	}
}

int tu_rmtree(const char *path)
{
	if (nftw(path, open_one, 16, FTW_PHYS) && errno != ENOENT)
		return -errno;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT)
		return -errno;
	return 0;
}

int tu_count_entries(const char *path)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

static int blobs_seen;

static int count_blob(const char *path, const struct stat *sb, int type,
		      struct FTW *ftw)
{
	(void)path;
	(void)sb;
	(void)ftw;
	if (type == FTW_F)
		blobs_seen++;
	return 0;
}

int tu_count_blobs(const char *storedir)
{
	char path[PATH_MAX];

	tu_path(path, "%s/blobs", storedir);
	blobs_seen = 0;
	if (nftw(path, count_blob, 16, FTW_PHYS))
		return errno == ENOENT ? 0 : -errno;
	return blobs_seen;
}

int tu_count_tmp(const char *storedir)
{
	char path[PATH_MAX];

	tu_path(path, "%s/tmp", storedir);
	return tu_count_entries(path);
}

void tu_fill(void *buf, size_t n, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

void tu_gzip_magic(void *buf, size_t n, uint32_t seed)
{
	uint8_t *p = buf;

	tu_fill(buf, n, seed);
	if (n > 0)
		p[0] = 0x1f;
	if (n > 1)
		p[1] = 0x8b;
	if (n > 2)
		p[2] = 0x08;
}

int tu_targz(size_t content, uint32_t seed, uint8_t **out, size_t *len)
{
	struct archive_entry *e;
	struct archive *a;
	size_t cap = content + content / 8 + 65536, used = 0;
	uint8_t *buf, *data;
	int rc = -1;

	buf = malloc(cap);
	data = malloc(content ? content : 1);
	a = archive_write_new();
	e = archive_entry_new();
	if (!buf || !data || !a || !e)
		goto out;
	tu_fill(data, content, seed);
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK)
		goto out;
	archive_entry_set_pathname(e, "app/payload.bin");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)content);
	archive_entry_set_mtime(e, 1795651200, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto out;
	if (content &&
	    archive_write_data(a, data, content) != (la_ssize_t)content)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK)
		goto out;
	/* No time in the gzip header: the same call gives the same bytes. */
	memset(buf + 4, 0, 4);
	*out = buf;
	*len = used;
	buf = NULL;
	rc = 0;
out:
	if (e)
		archive_entry_free(e);
	if (a)
		archive_write_free(a);
	free(data);
	free(buf);
	return rc;
}

void tu_sha256(const void *buf, size_t n, uint8_t out[32])
{
	SHA256(buf, n, out);
}

int tu_write_file(const char *path, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			rc = -errno;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	close(fd);
	return rc;
}

void tu_who(struct dfs_who *who)
{
	memset(who, 0, sizeof(*who));
	who->uid = 1000;
	who->gid = 1001;
	who->pid = 4242;
	snprintf(who->user, sizeof(who->user), "ci");
	snprintf(who->command, sizeof(who->command),
		 "cp app.tar.gz /mnt/deploy/myapp");
}

void tu_attr(struct dfs_project_attr *attr, uint32_t mode)
{
	attr->uid = 1000;
	attr->gid = 1001;
	attr->mode = mode;
}

static int count_cb(void *arg, const struct dfs_entry *e)
{
	(void)e;
	(*(long *)arg)++;
	return 0;
}

long tu_count_records(struct dfs_catalog *cat, enum dfs_scan scope,
		      const char *key)
{
	long n = 0;
	int rc;

	rc = dfs_catalog_scan(cat, scope, key, 0, count_cb, &n);
	return rc < 0 ? rc : n;
}
