/*
 * check_stream — the full, streaming archive check (see check.h).
 * libarchive is used, and its codes translated, here only.
 *
 * Two layers, so that decompression happens once and is verified to its
 * end: the outer one (decode.h) yields the decompressed stream, the inner
 * one (libarchive's tar reader) reads it. When tar reaches its end marker
 * the rest of the decompressed stream must be zeros, and the outer stream
 * is drained, which checks the compressed data to its last byte (a gzip
 * trailer cut short is truncation, as gzip -t says) and that nothing but
 * zeros follows it.
 *
 * Every decompressed byte counts against the unpacked limit, and so does
 * every entry's declared size: crossing it stops the check there, with
 * too_large. The default limit grows with the payload, so while the payload
 * is still arriving the check waits for more of it rather than fail early.
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

#include "check.h"
#include "check_impl.h"
#include "decode.h"

#define CHUNK	    (1 << 20)
#define PACKAGE_MAX (1 << 20) /* read at most this much of package.json */
#define TAIL_MAX    1024      /* bytes kept of the block before the last */

struct dfs_check {
	int fd;
	int mfd;
	uint64_t max_unpacked; /* 0: the default, after the payload's size */
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
	bool eof; /* the raw bytes ended */
	struct dfs_decode *dec;
	const uint8_t *in; /* raw bytes not decoded yet */
	size_t in_len;
	bool outer_failed; /* decompression, not tar, failed */
	int outer_err;	   /* its -errno (decode.h) */
	const char *outer_msg;
	unsigned char head[512]; /* the payload's first bytes, for sniffing */
	size_t head_len;
	unsigned char ihead[512]; /* the decompressed stream's first bytes */
	size_t ihead_len;
	/* The last block handed to tar, and the end of the one before. */
	const uint8_t *last;
	size_t last_len;
	uint64_t last_off;
	uint8_t tail[TAIL_MAX];
	size_t tail_len;
	uint64_t inner_bytes; /* decompressed bytes */
	uint64_t declared;    /* sum of the entries' declared sizes */
	int io_error;
	char *pkg; /* package.json being read */
	size_t pkg_len;
	int pkg_depth; /* of the package.json kept so far, -1: none */
	struct dfs_check_links *links;
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

/* The default limit: 100 times the payload's size, at least 1 GiB. */
static uint64_t default_limit(uint64_t size)
{
	uint64_t lim = size > UINT64_MAX / 100 ? UINT64_MAX : size * 100;

	return lim < DFS_CHECK_UNPACKED_MIN ? DFS_CHECK_UNPACKED_MIN : lim;
}

/*
 * Whether @amount unpacked bytes are more than allowed. The default limit
 * grows with the payload: past it, wait until the payload grows or ends.
 */
static bool over_limit(struct dfs_check *c, uint64_t amount)
{
	bool over;

	if (c->max_unpacked)
		return amount > c->max_unpacked;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		over = amount > default_limit(c->upto);
		if (!over || c->finished || c->cancelled)
			break;
		pthread_cond_wait(&c->cond, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return over;
}

static void set_error(struct dfs_check *c, enum dfs_errcode code,
		      const char *msg)
{
	struct dfs_record_error *e = &c->res.error;

	if (e->code[0])
		return; /* the first problem is the one reported */
	snprintf(e->code, sizeof(e->code), "%s", dfs_errcode_name(code));
	snprintf(e->message, sizeof(e->message), "%s",
		 msg && *msg ? msg : "the archive cannot be read");
	e->phase = DFS_PHASE_VALIDATE;
}

/* The same with an error made elsewhere (the sniff, the entry policy). */
static void keep_error(struct dfs_check *c, const struct dfs_record_error *err)
{
	if (!c->res.error.code[0])
		c->res.error = *err;
}

/* Fail too_large: @amount crossed the limit. */
static void too_large(struct dfs_check *c, const char *what, uint64_t amount)
{
	char msg[DFS_ERRMSG_MAX];
	uint64_t lim = c->max_unpacked;

	pthread_mutex_lock(&c->lock);
	if (!lim)
		lim = default_limit(c->upto);
	pthread_mutex_unlock(&c->lock);
	snprintf(msg, sizeof(msg),
		 "the archive unpacks to more than %llu bytes (%s: %llu "
		 "so far; limit: %s)",
		 (unsigned long long)lim, what, (unsigned long long)amount,
		 c->max_unpacked ? "max_unpacked"
				 : "100 times the payload, at least 1 GiB");
	set_error(c, DFS_ERR_TOO_LARGE, msg);
}

/* The next block of the decompressed stream; 0 at its end, -1 failed. */
static ssize_t outer_block(struct dfs_check *c, const void **out)
{
	size_t n;
	int r;

	for (;;) {
		if (c->in_len == 0 && !c->eof) {
			ssize_t k = next_chunk(c);

			if (k < 0) {
				c->outer_err = -EIO;
				c->outer_msg = c->io_error
						       ? strerror(c->io_error)
						       : "check cancelled";
				return -1;
			}
			c->eof = k == 0;
			c->in = (const uint8_t *)c->buf;
			c->in_len = (size_t)k;
		}
		r = dfs_decode_run(c->dec, &c->in, &c->in_len, c->eof, out, &n);
		if (r < 0) {
			c->outer_err = r;
			c->outer_msg = dfs_decode_error(c->dec);
			return -1;
		}
		if (n) {
			c->inner_bytes += n;
			if (over_limit(c, c->inner_bytes)) {
				too_large(c, "decompressed", c->inner_bytes);
				c->outer_err = -EFBIG;
				c->outer_msg = c->res.error.message;
				return -1;
			}
			return (ssize_t)n;
		}
		if (r == 1)
			return 0;
	}
}

static la_ssize_t inner_read(struct archive *a, void *arg, const void **out)
{
	struct dfs_check *c = arg;
	uint64_t off = c->inner_bytes;
	ssize_t n = outer_block(c, out);

	if (n < 0) {
		c->outer_failed = true;
		archive_set_error(a, EIO, "%s",
				  c->outer_msg ? c->outer_msg
					       : "the compressed data is bad");
		return -1;
	}
	/* Keep what tar may leave unread at its end (see trailing). */
	if (c->last_len) {
		size_t k = c->last_len < TAIL_MAX ? c->last_len : TAIL_MAX;

		memcpy(c->tail, c->last + c->last_len - k, k);
		c->tail_len = k;
	}
	c->last = *out;
	c->last_len = (size_t)n;
	c->last_off = off;
	if (c->ihead_len < sizeof(c->ihead)) {
		size_t take = sizeof(c->ihead) - c->ihead_len;

		if (take > (size_t)n)
			take = (size_t)n;
		memcpy(c->ihead + c->ihead_len, *out, take);
		c->ihead_len += take;
	}
	return n;
}

/* Does @h hold a tar header with a right checksum? */
static bool tar_header(const unsigned char *h, size_t n)
{
	unsigned long want = 0, sum = 0;
	long ssum = 0;
	size_t i;

	if (n < 512)
		return false;
	for (i = 148; i < 156 && (h[i] == ' ' || h[i] == '\0'); i++)
		;
	if (i == 156 || h[i] < '0' || h[i] > '7')
		return false;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (unsigned long)(h[i] - '0');
	for (i = 0; i < 512; i++) {
		unsigned char b = i >= 148 && i < 156 ? ' ' : h[i];

		sum += b;
		ssum += (signed char)b;
	}
	return sum == want || (unsigned long)ssum == want;
}

static enum dfs_errcode outer_code(int err)
{
	switch (err) {
	case -EFBIG:
		return DFS_ERR_TOO_LARGE;
	case -ENODATA:
		return DFS_ERR_TRUNCATED_ARCHIVE;
	default:
		return DFS_ERR_CORRUPT_ARCHIVE;
	}
}

/*
 * A failure of @msg's reader. The decompression failing: its verdict.
 * Tar failing before its first entry: not an archive, unless the data
 * starts with a tar header. Otherwise: truncation when the data ran out
 * under the reader, corruption when not.
 */
static void archive_failed(struct dfs_check *c, const char *msg, bool any_entry)
{
	char fmt[DFS_FORMAT_MAX];
	struct dfs_record_error err;

	if (c->cancelled || c->io_error)
		return;
	if (c->outer_failed) {
		set_error(c, outer_code(c->outer_err), c->outer_msg);
		return;
	}
	if (dfs_check_sniff(c->head, c->head_len, c->pos, fmt, &err)) {
		keep_error(c, &err);
		return;
	}
	/*
	 * Tar may choke on damaged output the decompressor hands out before
	 * it checks its CRC: read the compressed stream to its end first.
	 */
	if (!any_entry && strcmp(dfs_decode_filter(c->dec), "none") != 0 &&
	    !tar_header(c->ihead, c->ihead_len)) {
		const void *data;
		ssize_t n;

		while ((n = outer_block(c, &data)) > 0)
			;
		if (n < 0 && c->outer_err != -EIO) {
			set_error(c, outer_code(c->outer_err), c->outer_msg);
			return;
		}
		set_error(c, DFS_ERR_NOT_AN_ARCHIVE,
			  "the payload is compressed, but not a tar archive");
		return;
	}
	set_error(c,
		  c->eof ? DFS_ERR_TRUNCATED_ARCHIVE : DFS_ERR_CORRUPT_ARCHIVE,
		  msg);
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

/*
 * The next header: ARCHIVE_OK, ARCHIVE_EOF, or a failure. A name that
 * cannot be converted to the locale's charset is no failure (the bytes
 * are kept); any other warning is a damaged header.
 */
static int next_header(struct archive *in, struct archive_entry **e)
{
	int r = archive_read_next_header(in, e);

	if (r == ARCHIVE_WARN && archive_errno(in) == EILSEQ)
		return ARCHIVE_OK;
	return r;
}

/* What one entry may be, and what it declares it unpacks to. */
static bool entry_allowed(struct dfs_check *c, struct archive_entry *e)
{
	struct dfs_record_error err;
	int rc;

	if (!dfs_check_entry_policy(e, &err))
		keep_error(c, &err);
	else if (!c->res.error.code[0] &&
		 (rc = dfs_check_links_entry(
			  c->links, archive_entry_pathname(e),
			  archive_entry_filetype(e) == AE_IFLNK
				  ? archive_entry_symlink(e)
				  : NULL,
			  archive_entry_hardlink(e), &err)) != 0) {
		if (rc == -ENOMEM)
			c->io_error = ENOMEM;
		keep_error(c, &err);
		if (rc != -EBADMSG)
			return false; /* too_large, no memory: stop there */
	}
	if (archive_entry_filetype(e) == AE_IFREG &&
	    !archive_entry_hardlink(e) && archive_entry_size(e) > 0) {
		c->declared += (uint64_t)archive_entry_size(e);
		if (over_limit(c, c->declared)) {
			too_large(c, "declared entry sizes", c->declared);
			return false;
		}
	}
	return true;
}

static void read_tar(struct dfs_check *c, struct archive *in)
{
	struct dfs_record_error err;
	struct archive_entry *e;
	int r, depth;
	bool keep;

	while ((r = next_header(in, &e)) == ARCHIVE_OK) {
		c->res.entries++;
		dfs_check_entry_manifest(c->mfd, e);
		if (!entry_allowed(c, e))
			return;
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
	else if (!c->res.error.code[0] &&
		 (r = dfs_check_links_finish(c->links, &err)) != 0) {
		if (r == -ENOMEM)
			c->io_error = ENOMEM;
		keep_error(c, &err);
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zeros[4096];

	for (; n >= sizeof(zeros); p += sizeof(zeros), n -= sizeof(zeros))
		if (memcmp(p, zeros, sizeof(zeros)) != 0)
			return false;
	return n == 0 || memcmp(p, zeros, n) == 0;
}

/*
 * Past tar's end marker: what tar left unread of the stream (from
 * @consumed on), and the rest of the compressed stream, must be zeros.
 */
static void trailing(struct dfs_check *c, uint64_t consumed)
{
	const char *msg = "bytes after the end of the tar archive";
	const void *data;
	ssize_t n = 0;
	bool zero = true;

	if (consumed < c->last_off) {
		uint64_t back = c->last_off - consumed;

		/* Within the kept tail of the block before the last. */
		if (back > c->tail_len)
			back = c->tail_len;
		zero = all_zero(c->tail + c->tail_len - back, (size_t)back);
		consumed = c->last_off;
	}
	if (zero && consumed < c->last_off + c->last_len)
		zero = all_zero(c->last + (consumed - c->last_off),
				(size_t)(c->last_off + c->last_len - consumed));
	while (zero && (n = outer_block(c, &data)) > 0)
		zero = all_zero(data, (size_t)n);
	if (!zero) {
		set_error(c, DFS_ERR_CORRUPT_ARCHIVE, msg);
		return;
	}
	if (n < 0) {
		c->outer_failed = true;
		archive_failed(c, c->outer_msg, true);
	}
}

static void name_format(struct dfs_check *c)
{
	const char *filter = dfs_decode_filter(c->dec);

	if (strcmp(filter, "none") == 0)
		snprintf(c->res.format, sizeof(c->res.format), "tar");
	else
		snprintf(c->res.format, sizeof(c->res.format), "tar+%s",
			 filter);
}

/* Pick and open the outer layer from the payload's first bytes. */
static int open_outer(struct dfs_check *c)
{
	ssize_t n = next_chunk(c);

	if (n < 0)
		return -1;
	c->eof = n == 0;
	c->in = (const uint8_t *)c->buf;
	c->in_len = (size_t)n;
	return dfs_decode_new(c->in, c->in_len, DFS_CHECK_WINDOW_MAX, &c->dec);
}

/* Only the failures of the entries' policy let the check read on. */
static bool read_on(const struct dfs_check *c)
{
	const char *code = c->res.error.code;

	return !code[0] ||
	       strcmp(code, dfs_errcode_name(DFS_ERR_UNSAFE_PATH)) == 0 ||
	       strcmp(code, dfs_errcode_name(DFS_ERR_UNSAFE_ENTRY)) == 0;
}

static void check_archive(struct dfs_check *c)
{
	struct archive *in = archive_read_new();

	if (!in || open_outer(c) != 0) {
		if (!c->cancelled && !c->io_error)
			c->io_error = ENOMEM;
		goto out;
	}
	name_format(c);
	archive_read_support_format_tar(in);
	if (archive_read_open(in, c, NULL, inner_read, NULL) != ARCHIVE_OK) {
		archive_failed(c, archive_error_string(in), false);
		goto out;
	}
	read_tar(c, in);
	if (read_on(c))
		trailing(c, (uint64_t)archive_filter_bytes(in, 0));
out:
	archive_read_free(in);
	dfs_decode_free(c->dec);
	c->dec = NULL;
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

int dfs_check_start(int fd, int manifest_fd, uint64_t max_unpacked,
		    struct dfs_check **out)
{
	struct dfs_check *c = calloc(1, sizeof(*c));
	int rc = -ENOMEM;

	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->mfd = manifest_fd;
	c->max_unpacked = max_unpacked;
	c->pkg_depth = -1;
	c->buf = malloc(CHUNK);
	c->pkg = malloc(PACKAGE_MAX);
	c->md = EVP_MD_CTX_new();
	if (!c->buf || !c->pkg || !c->md ||
	    dfs_check_links_new(DFS_CHECK_LINKS_MAX, &c->links) != 0 ||
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
	dfs_check_links_free(c->links);
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
	dfs_check_links_free(c->links);
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
	if (c->io_error == ENOMEM)
		rc = -ENOMEM;
	else if (c->io_error || c->pos != size)
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
