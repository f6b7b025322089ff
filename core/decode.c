/*
 * decode — see decode.h. zlib, liblzma, libzstd and libbz2 codes are
 * translated to errno here only.
 *
 * Each compression is driven by one step function that decodes a piece of
 * input into the output buffer and says when its stream (member, frame)
 * ended. Between streams the bytes are looked at here: zeros are skipped,
 * the magic number of another stream starts it, anything else is an error.
 */
#include "decode.h"

#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define OUT_LEN	  (1 << 20)
#define MAGIC_MAX 6

enum kind {
	NONE,
	GZIP,
	XZ,
	ZSTD,
	BZIP2
};

struct magic {
	enum kind kind;
	const char *name;
	size_t len;
	const char *bytes;
};

/* The first bytes of one stream of each kind (as check.c sniffs them). */
static const struct magic magics[] = {
	{GZIP, "gzip", 2, "\x1f\x8b"},
	{XZ, "xz", 6,
	 "\xfd"
	 "7zXZ\x00"},
	{ZSTD, "zstd", 4, "\x28\xb5\x2f\xfd"},
	{BZIP2, "bzip2", 3, "BZh"},
};

struct dfs_decode {
	enum kind kind;
	const char *name;
	uint64_t window_max;
	bool open;    /* a stream is set up in the decoder */
	bool between; /* a stream ended: zeros or another stream may follow */
	uint8_t mag[MAGIC_MAX]; /* bytes of a next stream's magic so far */
	size_t mag_len;
	const uint8_t *pend; /* magic bytes to feed before the input */
	size_t pend_len;
	int err; /* final error, or 0 */
	char msg[200];
	uint8_t *buf;
	z_stream z;
	lzma_stream x;
	ZSTD_DCtx *zs;
	bz_stream b;
};

static int fail(struct dfs_decode *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct dfs_decode *d, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	d->err = err;
	return err;
}

static void close_stream(struct dfs_decode *d)
{
	if (!d->open)
		return;
	switch (d->kind) {
	case GZIP:
		inflateEnd(&d->z);
		break;
	case XZ:
		lzma_end(&d->x);
		break;
	case ZSTD:
		break; /* the context is reused; freed with the decoder */
	case BZIP2:
		BZ2_bzDecompressEnd(&d->b);
		break;
	case NONE:
		break;
	}
	d->open = false;
}

static unsigned log2_floor(uint64_t v)
{
	unsigned n = 0;

	while (v >>= 1)
		n++;
	return n;
}

/* Set up the decoder for a new stream. */
static int open_stream(struct dfs_decode *d)
{
	unsigned wlog;

	close_stream(d);
	switch (d->kind) {
	case GZIP:
		memset(&d->z, 0, sizeof(d->z));
		if (inflateInit2(&d->z, 15 + 16) != Z_OK)
			return -ENOMEM;
		break;
	case XZ:
		d->x = (lzma_stream)LZMA_STREAM_INIT;
		/* The dictionary, and a little for the rest of the decoder. */
		if (lzma_stream_decoder(&d->x, d->window_max + (2 << 20), 0) !=
		    LZMA_OK)
			return -ENOMEM;
		break;
	case ZSTD:
		if (!d->zs) {
			d->zs = ZSTD_createDCtx();
			if (!d->zs)
				return -ENOMEM;
		}
		wlog = log2_floor(d->window_max);
		if (wlog < 10)
			wlog = 10;
		if (wlog > 31)
			wlog = 31;
		ZSTD_DCtx_reset(d->zs, ZSTD_reset_session_only);
		if (ZSTD_isError(ZSTD_DCtx_setParameter(
			    d->zs, ZSTD_d_windowLogMax, (int)wlog)))
			return -ENOMEM;
		break;
	case BZIP2:
		memset(&d->b, 0, sizeof(d->b));
		if (BZ2_bzDecompressInit(&d->b, 0, 0) != BZ_OK)
			return -ENOMEM;
		break;
	case NONE:
		break;
	}
	d->open = true;
	d->between = false;
	return 0;
}

int dfs_decode_new(const void *head, size_t n, uint64_t window_max,
		   struct dfs_decode **out)
{
	struct dfs_decode *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	d->kind = NONE;
	d->name = "none";
	d->window_max = window_max;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (n >= magics[i].len &&
		    memcmp(head, magics[i].bytes, magics[i].len) == 0) {
			d->kind = magics[i].kind;
			d->name = magics[i].name;
		}
	if (d->kind != NONE) {
		d->buf = malloc(OUT_LEN);
		rc = d->buf ? open_stream(d) : -ENOMEM;
		if (rc) {
			dfs_decode_free(d);
			return rc;
		}
	}
	*out = d;
	return 0;
}

void dfs_decode_free(struct dfs_decode *d)
{
	if (!d)
		return;
	close_stream(d);
	ZSTD_freeDCtx(d->zs);
	free(d->buf);
	free(d);
}

const char *dfs_decode_filter(const struct dfs_decode *d)
{
	return d->name;
}

const char *dfs_decode_error(const struct dfs_decode *d)
{
	return d->msg;
}

/*
 * One step of each decoder: decode from @in (@n bytes, @finish: no more
 * follow) into d->buf; set how many bytes were @used and @made, and
 * @ended when the stream ended. Returns 0 or -errno with the message set.
 */
static int step_gzip(struct dfs_decode *d, const uint8_t *in, size_t n,
		     size_t *used, size_t *made, bool *ended)
{
	int r;

	d->z.next_in = (Bytef *)in;
	d->z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	d->z.next_out = d->buf;
	d->z.avail_out = OUT_LEN;
	r = inflate(&d->z, Z_NO_FLUSH);
	*used = (size_t)(d->z.next_in - in);
	*made = OUT_LEN - d->z.avail_out;
	if (r == Z_STREAM_END)
		*ended = true;
	else if (r == Z_MEM_ERROR)
		return fail(d, -ENOMEM, "out of memory decoding gzip data");
	else if (r != Z_OK && r != Z_BUF_ERROR)
		return fail(d, -EBADMSG, "gzip data: %s",
			    d->z.msg ? d->z.msg : "corrupt");
	return 0;
}

static int step_xz(struct dfs_decode *d, const uint8_t *in, size_t n,
		   size_t *used, size_t *made, bool *ended)
{
	lzma_ret r;

	d->x.next_in = in;
	d->x.avail_in = n;
	d->x.next_out = d->buf;
	d->x.avail_out = OUT_LEN;
	r = lzma_code(&d->x, LZMA_RUN);
	*used = (size_t)(d->x.next_in - in);
	*made = OUT_LEN - d->x.avail_out;
	switch (r) {
	case LZMA_OK:
	case LZMA_BUF_ERROR:
		return 0;
	case LZMA_STREAM_END:
		*ended = true;
		return 0;
	case LZMA_MEMLIMIT_ERROR:
		return fail(d, -EFBIG,
			    "the xz data needs %llu MiB to decode, more than "
			    "the %llu MiB allowed",
			    (unsigned long long)(lzma_memusage(&d->x) >> 20),
			    (unsigned long long)(d->window_max >> 20));
	case LZMA_MEM_ERROR:
		return fail(d, -ENOMEM, "out of memory decoding xz data");
	default:
		return fail(d, -EBADMSG, "xz data: corrupt (code %d)", (int)r);
	}
}

static int step_zstd(struct dfs_decode *d, const uint8_t *in, size_t n,
		     size_t *used, size_t *made, bool *ended)
{
	ZSTD_inBuffer ib = {in, n, 0};
	ZSTD_outBuffer ob = {d->buf, OUT_LEN, 0};
	size_t r = ZSTD_decompressStream(d->zs, &ob, &ib);

	*used = ib.pos;
	*made = ob.pos;
	if (!ZSTD_isError(r)) {
		/* 0: the frame is decoded and all its output handed out. */
		*ended = r == 0;
		return 0;
	}
	switch (ZSTD_getErrorCode(r)) {
	case ZSTD_error_frameParameter_windowTooLarge:
		return fail(d, -EFBIG,
			    "the zstd data needs a window larger than the "
			    "%llu MiB allowed",
			    (unsigned long long)(d->window_max >> 20));
	case ZSTD_error_memory_allocation:
		return fail(d, -ENOMEM, "out of memory decoding zstd data");
	default:
		return fail(d, -EBADMSG, "zstd data: %s", ZSTD_getErrorName(r));
	}
}

static int step_bzip2(struct dfs_decode *d, const uint8_t *in, size_t n,
		      size_t *used, size_t *made, bool *ended)
{
	int r;

	d->b.next_in = (char *)in;
	d->b.avail_in = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	d->b.next_out = (char *)d->buf;
	d->b.avail_out = OUT_LEN;
	r = BZ2_bzDecompress(&d->b);
	*used = (size_t)((const uint8_t *)d->b.next_in - in);
	*made = OUT_LEN - d->b.avail_out;
	if (r == BZ_STREAM_END)
		*ended = true;
	else if (r == BZ_MEM_ERROR)
		return fail(d, -ENOMEM, "out of memory decoding bzip2 data");
	else if (r != BZ_OK)
		return fail(d, -EBADMSG, "bzip2 data: corrupt (code %d)", r);
	return 0;
}

static int step(struct dfs_decode *d, const uint8_t *in, size_t n, size_t *used,
		size_t *made, bool *ended)
{
	*ended = false;
	*used = *made = 0;
	switch (d->kind) {
	case GZIP:
		return step_gzip(d, in, n, used, made, ended);
	case XZ:
		return step_xz(d, in, n, used, made, ended);
	case ZSTD:
		return step_zstd(d, in, n, used, made, ended);
	case BZIP2:
		return step_bzip2(d, in, n, used, made, ended);
	case NONE:
		break;
	}
	return fail(d, -EINVAL, "no decoder");
}

/* Could the bytes of d->mag begin another stream of d's kind? */
static bool magic_prefix(const struct dfs_decode *d, bool *whole)
{
	const uint8_t *m = d->mag;
	size_t n = d->mag_len;

	*whole = false;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		const struct magic *g = &magics[i];

		if (g->kind != d->kind || memcmp(m, g->bytes, n) != 0)
			continue;
		*whole = n == g->len;
		return true;
	}
	/* A skippable frame (zstd skips it). */
	if (d->kind == ZSTD && (m[0] & 0xf0) == 0x50 &&
	    memcmp(m + 1, "\x2a\x4d\x18", n - 1 < 3 ? n - 1 : 3) == 0) {
		*whole = n == 4;
		return true;
	}
	return false;
}

/*
 * After a stream: skip zeros; the magic number of another stream sets it
 * up (its bytes go to the decoder first). Returns 0 (more input needed,
 * or a stream is set up), 1 at the end, -errno.
 */
static int between(struct dfs_decode *d, const uint8_t **in, size_t *in_len,
		   bool in_end)
{
	bool whole;
	int rc;

	while (*in_len) {
		uint8_t c = **in;

		if (d->mag_len == 0 && c == 0) {
			const uint8_t *p = *in, *end = *in + *in_len;

			while (p < end && *p == 0)
				p++;
			*in_len -= (size_t)(p - *in);
			*in = p;
			continue;
		}
		d->mag[d->mag_len++] = c;
		(*in)++;
		(*in_len)--;
		if (!magic_prefix(d, &whole))
			return fail(d, -EBADMSG,
				    "bytes after the end of the %s data",
				    d->name);
		if (!whole)
			continue;
		rc = open_stream(d);
		if (rc)
			return fail(d, rc, "out of memory");
		d->pend = d->mag;
		d->pend_len = d->mag_len;
		d->mag_len = 0;
		return 0;
	}
	if (!in_end)
		return 0;
	if (d->mag_len)
		return fail(d, -EBADMSG, "bytes after the end of the %s data",
			    d->name);
	return 1;
}

static int run_none(const uint8_t **in, size_t *in_len, bool in_end,
		    const void **out, size_t *out_len)
{
	*out = *in;
	*out_len = *in_len;
	*in += *in_len;
	*in_len = 0;
	return *out_len == 0 && in_end ? 1 : 0;
}

int dfs_decode_run(struct dfs_decode *d, const uint8_t **in, size_t *in_len,
		   bool in_end, const void **out, size_t *out_len)
{
	size_t used, made, n;
	const uint8_t *src;
	bool ended;
	int rc;

	*out_len = 0;
	if (d->err)
		return d->err;
	if (d->kind == NONE)
		return run_none(in, in_len, in_end, out, out_len);
	for (;;) {
		if (d->between) {
			rc = between(d, in, in_len, in_end);
			if (rc || d->between)
				return rc;
		}
		src = d->pend_len ? d->pend : *in;
		n = d->pend_len ? d->pend_len : *in_len;
		rc = step(d, src, n, &used, &made, &ended);
		if (d->pend_len) {
			d->pend += used;
			d->pend_len -= used;
		} else {
			*in += used;
			*in_len -= used;
		}
		if (rc)
			return rc;
		if (ended) {
			close_stream(d);
			d->between = true;
		}
		if (made) {
			*out = d->buf;
			*out_len = made;
			return 0;
		}
		if (ended)
			continue;
		if (n == 0)
			return in_end ? fail(d, -ENODATA,
					     "unexpected end of %s data",
					     d->name)
				      : 0;
		if (used == 0)
			return fail(d, -EBADMSG, "%s data: no progress",
				    d->name);
	}
}
