/*
 * archutil — test archives written by libarchive (see archutil.h).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "archutil.h"
#include "testutil.h"

/* Add the compression @filter to @a: 0, 1 unsupported, -1 unknown. */
static int add_filter(struct archive *a, const char *filter)
{
	int r;

	if (strcmp(filter, "none") == 0)
		return 0;
	if (strcmp(filter, "gzip") == 0)
		r = archive_write_add_filter_gzip(a);
	else if (strcmp(filter, "xz") == 0)
		r = archive_write_add_filter_xz(a);
	else if (strcmp(filter, "bzip2") == 0)
		r = archive_write_add_filter_bzip2(a);
	else if (strcmp(filter, "zstd") == 0)
		r = archive_write_add_filter_zstd(a);
	else
		return -1;
	/* ARCHIVE_WARN: only through an external program; not ours. */
	return r == ARCHIVE_OK ? 0 : 1;
}

static void set_entry(struct archive_entry *ae, const struct tu_entry *e,
		      size_t size)
{
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, e->path);
	archive_entry_set_mtime(ae, 1795651200, 0);
	archive_entry_set_uid(ae, 1000);
	archive_entry_set_gid(ae, 1000);
	switch (e->type) {
	case 'd':
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, e->mode ? e->mode : 0755);
		break;
	case 'l':
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_perm(ae, e->mode ? e->mode : 0777);
		archive_entry_set_symlink(ae, e->link);
		break;
	case 'c':
	case 'b':
	case 'p':
		archive_entry_set_filetype(ae, e->type == 'c'	? AE_IFCHR
					       : e->type == 'b' ? AE_IFBLK
								: AE_IFIFO);
		archive_entry_set_perm(ae, e->mode ? e->mode : 0644);
		archive_entry_set_rdev(ae, e->type == 'p' ? 0 : 0x801);
		break;
	case 'h':
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, e->mode ? e->mode : 0644);
		archive_entry_set_hardlink(ae, e->link);
		break;
	default:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, e->mode ? e->mode : 0644);
		archive_entry_set_size(ae, (la_int64_t)size);
		break;
	}
}

/* Write entry @e: header and, for a file, its content. */
static int write_entry(struct archive *a, struct archive_entry *ae,
		       const struct tu_entry *e)
{
	size_t size = e->data && !e->size ? strlen(e->data) : e->size;
	uint8_t *fill = NULL;
	const void *data = e->data;
	int rc = -1;

	if (e->type != 'f')
		size = 0;
	if (!data && size) {
		fill = malloc(size);
		if (!fill)
			return -1;
		tu_fill(fill, size, e->seed);
		data = fill;
	}
	set_entry(ae, e, size);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		goto out;
	if (size && archive_write_data(a, data, size) != (la_ssize_t)size)
		goto out;
	rc = 0;
out:
	free(fill);
	return rc;
}

/* Room for an archive of @n entries: their data, headers, slack. */
static size_t capacity(const struct tu_entry *e, size_t n)
{
	size_t cap = 1 << 20;

	for (size_t i = 0; i < n; i++)
		cap += 2048 + (e[i].data && !e[i].size ? strlen(e[i].data)
						       : e[i].size);
	return cap + cap / 8;
}

int tu_archive(const struct tu_entry *e, size_t n, const char *filter,
	       uint8_t **out, size_t *len)
{
	return tu_archive_opt(e, n, filter, NULL, out, len);
}

int tu_archive_opt(const struct tu_entry *e, size_t n, const char *filter,
		   const char *options, uint8_t **out, size_t *len)
{
	size_t cap = capacity(e, n), used = 0;
	struct archive_entry *ae = archive_entry_new();
	struct archive *a = archive_write_new();
	uint8_t *buf = malloc(cap);
	int rc = -1, f;

	if (!buf || !a || !ae)
		goto out;
	f = add_filter(a, filter);
	if (f) {
		rc = f;
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    (options && archive_write_set_options(a, options) != ARCHIVE_OK) ||
	    archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (write_entry(a, ae, &e[i]))
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK)
		goto out;
	if (strcmp(filter, "gzip") == 0)
		memset(buf + 4, 0, 4); /* no time: the same bytes every call */
	*out = buf;
	*len = used;
	buf = NULL;
	rc = 0;
out:
	archive_entry_free(ae);
	archive_write_free(a);
	free(buf);
	return rc;
}

void tu_archive_or_skip(const struct tu_entry *e, size_t n, const char *filter,
			uint8_t **out, size_t *len)
{
	int rc = tu_archive(e, n, filter, out, len);

	if (rc == 1)
		skip();
	assert_int_equal(rc, 0);
}

int tu_gzip_raw(const void *data, size_t n, uint8_t **out, size_t *len)
{
	size_t cap = n + n / 8 + 65536, used = 0;
	struct archive_entry *ae = archive_entry_new();
	struct archive *a = archive_write_new();
	uint8_t *buf = malloc(cap);
	int rc = -1;

	if (!buf || !a || !ae)
		goto out;
	archive_entry_set_pathname(ae, "data");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, (la_int64_t)n);
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK ||
	    archive_write_header(a, ae) != ARCHIVE_OK ||
	    archive_write_data(a, data, n) != (la_ssize_t)n ||
	    archive_write_close(a) != ARCHIVE_OK)
		goto out;
	memset(buf + 4, 0, 4); /* no time in the gzip header */
	*out = buf;
	*len = used;
	buf = NULL;
	rc = 0;
out:
	archive_entry_free(ae);
	archive_write_free(a);
	free(buf);
	return rc;
}

void tu_tar(void *buf, size_t n, uint32_t seed)
{
	/* Header, whole blocks of data, the two-block end marker. */
	size_t data = (n - 3 * 512) / 512 * 512, used = 0;
	struct archive_entry *ae = archive_entry_new();
	struct archive *a = archive_write_new();
	uint8_t *fill = malloc(data);

	assert_true(n >= TU_TAR_MIN);
	assert_non_null(ae);
	assert_non_null(a);
	assert_non_null(fill);
	tu_fill(fill, data, seed);
	memset(buf, 0, n);
	archive_entry_set_pathname(ae, "app/payload.bin");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, (la_int64_t)data);
	archive_entry_set_mtime(ae, 1795651200, 0);
	/* ustar: one 512-byte header, data at TU_TAR_DATA. No padding. */
	assert_int_equal(archive_write_set_format_ustar(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, n, &used),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, fill, data), data);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	assert_int_equal(used, 512 + data + 1024);
	archive_entry_free(ae);
	archive_write_free(a);
	free(fill);
}

int tu_file_fd(struct tu_fix *fix, const char *name, const void *buf, size_t n)
{
	char path[PATH_MAX];
	int fd;

	tu_path(path, "%s/%s", fix->base, name);
	assert_int_equal(tu_write_file(path, buf, n), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	return fd;
}

void tu_check_buf(struct tu_fix *fix, const void *buf, size_t n, int mfd,
		  struct dfs_check_result *res)
{
	struct dfs_check *c = NULL;
	int fd = tu_file_fd(fix, "payload", buf, n);

	memset(res, 0x5a, sizeof(*res));
	assert_int_equal(dfs_check_start(fd, mfd, 0, &c), 0);
	assert_non_null(c);
	assert_int_equal(dfs_check_finish(c, n, res), 0);
	close(fd);
}
