/*
 * check_stream — the full, streaming archive check (see check.h).
 * libarchive is used, and its codes translated, here only.
 *
 * Two layers, so that decompression happens once and is verified to its
 * end: the outer one yields the decompressed stream, the inner one
 * (libarchive's tar reader) reads it. When tar reaches its end marker the
 * outer stream is drained, which checks the compressed data to its last
 * byte (a gzip trailer cut short is truncation, as gzip -t says). The
 * outer layer is zlib for gzip, because libarchive's gzip reader does not
 * check the CRC-32 and length of each member, so a flipped byte in stored
 * data would pass; it is libarchive ("raw" format, every filter) for the
 * other compressions, whose formats carry checks libarchive verifies.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"

#define CHUNK	    (1 << 20)
#define PACKAGE_MAX (1 << 20) /* read at most this much of package.json */

struct dfs_check {
	int fd;
	int mfd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t upto;	/* final bytes, under lock */
	bool finished;	/* upto is the size, under lock */
	bool cancelled; /* under lock */
	bool joined;	/* the thread has been waited for */

	/* The thread's own. */
	uint64_t pos;
	char *buf;
	EVP_MD_CTX *md;
	bool eof;	   /* the outer reader was told the data ended */
	bool outer_failed; /* decompression, not tar, failed */
	const char *outer_msg;
	bool gzip; /* the outer layer is zlib */
	z_stream z;
	bool z_open, z_end; /* inflate set up; a member just ended */
	const char *z_err;  /* an error to report after the data before it */
	unsigned char *zout;
	const char *first; /* a chunk read to sniff, not consumed yet */
	ssize_t first_len;
	unsigned char head[512]; /* the payload's first bytes, for sniffing */
	size_t head_len;
	uint64_t inner_bytes; /* decompressed bytes handed to tar */
	int io_error;
	struct archive *outer;
	char *pkg; /* package.json being read */
	size_t pkg_len;
	int pkg_depth; /* of the package.json kept so far, -1: none */
	struct dfs_check_result res;
};

/* Wait for the next final bytes; 0 at the end, -1 cancelled or I/O. */
static ssize_t next_chunk(struct dfs_check *c)
{
	uint64_t avail;
	ssize_t n;

	pthread_mutex_lock(&c->lock);
	while (!c->cancelled && c->pos >= c->upto && !c->finished)
		pthread_cond_wait(&c->cond, &c->lock);
	avail = c->cancelled ? 0 : c->upto - c->pos;
	if (c->cancelled) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	pthread_mutex_unlock(&c->lock);
	if (avail == 0)
		return 0;
	n = pread(c->fd, c->buf, avail < CHUNK ? avail : CHUNK, (off_t)c->pos);
	if (n <= 0) {
		c->io_error = n < 0 ? errno : EIO;
		return -1;
	}
	EVP_DigestUpdate(c->md, c->buf, (size_t)n);
	if (c->head_len < sizeof(c->head)) {
		size_t take = sizeof(c->head) - c->head_len;

		if (take > (size_t)n)
			take = (size_t)n;
		memcpy(c->head + c->head_len, c->buf, take);
		c->head_len += take;
	}
	c->pos += (uint64_t)n;
	return n;
}

/* The next raw bytes: the chunk read to sniff first, then the file. */
static ssize_t raw_chunk(struct dfs_check *c, const char **out)
{
	ssize_t n;

	if (c->first) {
		*out = c->first;
		n = c->first_len;
		c->first = NULL;
		return n;
	}
	n = next_chunk(c);
	*out = c->buf;
	return n;
}

static la_ssize_t outer_read(struct archive *a, void *arg, const void **out)
{
	struct dfs_check *c = arg;
	const char *p;
	ssize_t n = raw_chunk(c, &p);

	if (n < 0) {
		archive_set_error(
		    a, c->io_error ? c->io_error : ECANCELED, "%s",
		    c->io_error ? strerror(c->io_error) : "check cancelled");
		return -1;
	}
	if (n == 0)
		c->eof = true;
	*out = p;
	return n;
}

/* Inflate the next block of a gzip payload (every member, checked). */
static ssize_t gunzip_block(struct dfs_check *c, const void **out)
{
	int r;

	if (c->z_err) {
		c->outer_msg = c->z_err;
		return -1;
	}
	for (;;) {
		if (c->z.avail_in == 0) {
			const char *p;
			ssize_t n = raw_chunk(c, &p);

			if (n < 0) {
				c->outer_msg = c->io_error
						   ? strerror(c->io_error)
						   : "check cancelled";
				return -1;
			}
			if (n == 0) {
				c->eof = true;
				if (c->z_end)
					return 0;
				c->outer_msg = "unexpected end of gzip data";
				return -1;
			}
			c->z.next_in = (unsigned char *)p;
			c->z.avail_in = (unsigned)n;
		}
		if (c->z_end) {
			/* Another member, or trailing bytes to ignore. */
			if (c->z.next_in[0] != 0x1f) {
				c->z.avail_in = 0;
				continue;
			}
			inflateReset(&c->z);
			c->z_end = false;
		}
		c->z.next_out = c->zout;
		c->z.avail_out = CHUNK;
		r = inflate(&c->z, Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			c->z_end = true;
		else if (r != Z_OK && r != Z_BUF_ERROR)
			c->z_err = c->z.msg ? c->z.msg : "corrupt gzip data";
		if (c->z_err && c->z.avail_out == CHUNK) {
			c->outer_msg = c->z_err;
			return -1;
		}
		if (c->z.avail_out < CHUNK) {
			*out = c->zout;
			return CHUNK - c->z.avail_out;
		}
	}
}

/* The next block of the decompressed stream; 0 at its end, -1 failed. */
static ssize_t outer_block(struct dfs_check *c, const void **out)
{
	size_t size;
	la_int64_t off;
	int r;

	if (c->gzip)
		return gunzip_block(c, out);
	r = archive_read_data_block(c->outer, out, &size, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK) {
		c->outer_msg = archive_error_string(c->outer);
		return -1;
	}
	return (ssize_t)size;
}

static la_ssize_t inner_read(struct archive *a, void *arg, const void **out)
{
	struct dfs_check *c = arg;
	ssize_t n = outer_block(c, out);

	if (n < 0) {
		c->outer_failed = true;
		archive_set_error(a, EIO, "%s",
				  c->outer_msg ? c->outer_msg
					       : "the compressed data is bad");
		return -1;
	}
	c->inner_bytes += (uint64_t)n;
	return n;
}

static void set_error(struct dfs_check *c, const char *code, const char *msg)
{
	struct dfs_record_error *e = &c->res.error;

	if (e->code[0])
		return; /* the first problem is the one reported */
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->message, sizeof(e->message), "%s",
		 msg && *msg ? msg : "the archive cannot be read");
	e->phase = DFS_PHASE_VALIDATE;
}

/*
 * A failure of @msg's reader. Tar failing before its first entry: not an
 * archive. Otherwise: truncation when the data ran out under the reader,
 * corruption when not.
 */
static void archive_failed(struct dfs_check *c, const char *msg, bool any_entry)
{
	char fmt[DFS_FORMAT_MAX];
	struct dfs_record_error err;

	if (c->cancelled || c->io_error)
		return;
	if (dfs_check_sniff(c->head, c->head_len, c->pos, fmt, &err)) {
		set_error(c, err.code, err.message);
		return;
	}
	/*
	 * Tar may choke on damaged output the decompressor hands out before
	 * it checks its CRC: read the compressed stream to its end first.
	 */
	if (!any_entry && !c->outer_failed && (c->z_open || c->outer)) {
		const void *data;
		ssize_t n;

		while ((n = outer_block(c, &data)) > 0)
			;
		if (n < 0) {
			c->outer_failed = true;
			msg = c->outer_msg;
		}
	}
	if (!any_entry && !c->outer_failed) {
		set_error(c, "not_an_archive",
			  "the payload is compressed, but not a tar archive");
		return;
	}
	set_error(c, c->eof ? "truncated_archive" : "corrupt_archive", msg);
}

/* Absolute, or with a ".." component. */
static bool unsafe_path(const char *p)
{
	if (!p)
		return false;
	if (p[0] == '/')
		return true;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += n + (e ? 1 : 0);
	}
	return false;
}

/* Depth of a package.json entry (0 top, 1 under one folder), or -1. */
static int package_depth(const char *p)
{
	const char *slash;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (strcmp(p, "package.json") == 0)
		return 0;
	slash = strchr(p, '/');
	if (slash && slash != p && strcmp(slash + 1, "package.json") == 0)
		return 1;
	return -1;
}

static void write_manifest(struct dfs_check *c, struct archive_entry *e)
{
	const char *path = archive_entry_pathname(e);
	const char *link = archive_entry_symlink(e);
	const char *hard = archive_entry_hardlink(e);

	char mode[16];
	size_t n;

	if (c->mfd < 0)
		return;
	/* libarchive pads the mode string with a space for ACL marks. */
	snprintf(mode, sizeof(mode), "%s", archive_entry_strmode(e));
	n = strlen(mode);
	while (n > 0 && mode[n - 1] == ' ')
		mode[--n] = '\0';
	dprintf(c->mfd, "%s %lld %s%s%s\n", mode,
		(long long)archive_entry_size(e), path ? path : "",
		link   ? " -> "
		: hard ? " link to "
		       : "",
		link   ? link
		: hard ? hard
		       : "");
}

static void read_package(struct dfs_check *c, const char *data, size_t n)
{
	size_t room = PACKAGE_MAX - c->pkg_len;

	if (n > room)
		n = room;
	memcpy(c->pkg + c->pkg_len, data, n);
	c->pkg_len += n;
}

static void package_identifier(struct dfs_check *c)
{
	json_t *o = json_loadb(c->pkg, c->pkg_len, 0, NULL);
	const char *name, *version;

	if (o && json_unpack(o, "{s:s, s:s}", "name", &name, "version",
			     &version) == 0)
		snprintf(c->res.package, sizeof(c->res.package), "%s@%s", name,
			 version);
	json_decref(o);
}

/* Read one entry's data to its end; the package.json candidate is kept. */
static int read_entry(struct dfs_check *c, struct archive *in, bool keep)
{
	const void *data;
	size_t n;
	la_int64_t off;
	int r;

	if (keep)
		c->pkg_len = 0;
	while ((r = archive_read_data_block(in, &data, &n, &off)) ==
	       ARCHIVE_OK) {
		c->res.unpacked_size += n;
		if (keep)
			read_package(c, data, n);
	}
	return r == ARCHIVE_EOF ? ARCHIVE_OK : r;
}

static void read_tar(struct dfs_check *c, struct archive *in)
{
	struct archive_entry *e;
	int r, depth;
	bool keep;

	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		c->res.entries++;
		write_manifest(c, e);
		if (unsafe_path(archive_entry_pathname(e)) ||
		    unsafe_path(archive_entry_hardlink(e))) {
			char msg[DFS_ERRMSG_MAX];

			snprintf(msg, sizeof(msg),
				 "unsafe path in the archive: %s",
				 archive_entry_pathname(e));
			set_error(c, "unsafe_path", msg);
		}
		depth = archive_entry_filetype(e) == AE_IFREG
			    ? package_depth(archive_entry_pathname(e))
			    : -1;
		keep = depth >= 0 && (c->pkg_depth < 0 || depth < c->pkg_depth);
		if (read_entry(c, in, keep) != ARCHIVE_OK) {
			archive_failed(c, archive_error_string(in), true);
			return;
		}
		if (keep) {
			c->pkg_depth = depth;
			c->res.package[0] = '\0';
			package_identifier(c);
		}
	}
	if (r != ARCHIVE_EOF)
		archive_failed(c, archive_error_string(in), c->res.entries > 0);
}

static void name_format(struct dfs_check *c)
{
	const char *filter = c->gzip	? "gzip"
			     : c->outer ? archive_filter_name(c->outer, 0)
					: NULL;

	if (!filter || strcmp(filter, "none") == 0)
		snprintf(c->res.format, sizeof(c->res.format), "tar");
	else
		snprintf(c->res.format, sizeof(c->res.format), "tar+%s",
			 filter);
}

/* Pick and open the outer layer from the payload's first bytes. */
static int open_outer(struct dfs_check *c)
{
	struct archive_entry *e;
	const char *p;
	ssize_t n = raw_chunk(c, &p);

	if (n < 0)
		return -1;
	c->first = p;
	c->first_len = n;
	if (n >= 2 && (unsigned char)p[0] == 0x1f &&
	    (unsigned char)p[1] == 0x8b) {
		c->gzip = true;
		c->zout = malloc(CHUNK);
		if (!c->zout || inflateInit2(&c->z, 15 + 16) != Z_OK)
			return -1;
		c->z_open = true;
		return 0;
	}
	c->outer = archive_read_new();
	if (!c->outer)
		return -1;
	archive_read_support_filter_all(c->outer);
	archive_read_support_format_raw(c->outer);
	if (archive_read_open(c->outer, c, NULL, outer_read, NULL) !=
		ARCHIVE_OK ||
	    archive_read_next_header(c->outer, &e) != ARCHIVE_OK) {
		c->outer_failed = true;
		c->outer_msg = archive_error_string(c->outer);
		return -1;
	}
	return 0;
}

static void check_archive(struct dfs_check *c)
{
	struct archive *in = archive_read_new();
	const void *data;
	ssize_t n;

	if (!in || open_outer(c) != 0) {
		archive_failed(c, c->outer_msg ? c->outer_msg : "out of memory",
			       false);
		goto out;
	}
	name_format(c);
	archive_read_support_format_tar(in);
	if (archive_read_open(in, c, NULL, inner_read, NULL) != ARCHIVE_OK) {
		archive_failed(c, archive_error_string(in), false);
		goto out;
	}
	read_tar(c, in);
	if (c->res.error.code[0] && strcmp(c->res.error.code, "unsafe_path"))
		goto out;
	/* Past tar's end marker: the compressed stream must end well too. */
	while ((n = outer_block(c, &data)) > 0)
		;
	if (n < 0) {
		c->outer_failed = true;
		archive_failed(c, c->outer_msg, true);
	}
out:
	archive_read_free(in);
	archive_read_free(c->outer);
	c->outer = NULL;
	if (c->z_open)
		inflateEnd(&c->z);
	free(c->zout);
}

static void *check_main(void *arg)
{
	struct dfs_check *c = arg;

	check_archive(c);
	/* Whatever the verdict, every byte is hashed. */
	while (next_chunk(c) > 0)
		;
	return NULL;
}

int dfs_check_start(int fd, int manifest_fd, struct dfs_check **out)
{
	struct dfs_check *c = calloc(1, sizeof(*c));
	int rc = -ENOMEM;

	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->mfd = manifest_fd;
	c->pkg_depth = -1;
	c->buf = malloc(CHUNK);
	c->pkg = malloc(PACKAGE_MAX);
	c->md = EVP_MD_CTX_new();
	if (!c->buf || !c->pkg || !c->md ||
	    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		goto out_free;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	rc = -pthread_create(&c->thread, NULL, check_main, c);
	if (rc)
		goto out_free;
	*out = c;
	return 0;

out_free:
	EVP_MD_CTX_free(c->md);
	free(c->pkg);
	free(c->buf);
	free(c);
	return rc;
}

void dfs_check_advance(struct dfs_check *c, uint64_t upto)
{
	pthread_mutex_lock(&c->lock);
	if (upto > c->upto && !c->finished) {
		c->upto = upto;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
}

/* Wait for the thread to end, then free everything. */
static void check_free(struct dfs_check *c)
{
	if (!c->joined)
		pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	EVP_MD_CTX_free(c->md);
	free(c->pkg);
	free(c->buf);
	free(c);
}

int dfs_check_finish(struct dfs_check *c, uint64_t size,
		     struct dfs_check_result *res)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	c->upto = size;
	c->finished = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	if (c->io_error || c->pos != size)
		rc = -EIO;
	else if (EVP_DigestFinal_ex(c->md, c->res.hash, NULL) != 1)
		rc = -ENOMEM;
	c->res.size = size;
	if (!rc)
		*res = c->res;
	c->joined = true;
	check_free(c);
	return rc;
}

void dfs_check_cancel(struct dfs_check *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->cancelled = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	check_free(c);
}
