/*
 * decode — streaming decompression for the archive check, with bounds.
 *
 * A decoder is picked by the payload's first bytes: gzip (zlib, each
 * member's CRC-32 and length checked), xz (liblzma), zstd (libzstd) or
 * bzip2 (libbz2); anything else passes through unchanged ("none"), for the
 * tar reader to judge. Concatenated members, streams or frames of the same
 * compression are one stream, as their tools read them. After the last
 * one only zero bytes may follow (tape padding); anything else is an error,
 * so no bytes can hide after the end of the data.
 *
 * The decoder's memory is bounded: a stream that needs a window (history,
 * dictionary) larger than the bound given to dfs_decode_new is refused
 * with -EFBIG before any of it is allocated. gzip needs 32 KiB and bzip2
 * under 4 MiB whatever the stream says.
 *
 * Not thread-safe: one thread drives a decoder.
 */
#ifndef DFS_DECODE_H
#define DFS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dfs_decode;

/*
 * dfs_decode_new — a decoder for the stream whose first @n bytes are @head
 * (only looked at, not consumed: feed them to dfs_decode_run too), with
 * windows of at most @window_max bytes. Errors: -ENOMEM.
 * Free with dfs_decode_free.
 */
int dfs_decode_new(const void *head, size_t n, uint64_t window_max,
		   struct dfs_decode **out);

void dfs_decode_free(struct dfs_decode *d);

/* "gzip", "xz", "zstd", "bzip2", or "none" (passed through). */
const char *dfs_decode_filter(const struct dfs_decode *d);

/*
 * dfs_decode_run — decode some of the @*in_len bytes at @*in (both are
 * advanced past what was used); @in_end says no input follows them. Sets
 * @out to up to @*out_len decoded bytes, owned by @d (or pointing into
 * @*in) and valid until the next call. Returns
 *   0        call again: with more input when @*in_len is 0 and nothing
 *            came out, with the same input otherwise
 *   1        the end: every stream ended, and only zeros followed
 *   -EBADMSG damaged data, or bytes after the end that are not zeros
 *   -ENODATA the input ended inside a stream (truncated)
 *   -EFBIG   the stream needs a window larger than the bound
 *   -ENOMEM  the decoder could not get its memory
 * An error is final: later calls return it again. dfs_decode_error
 * describes it.
 */
int dfs_decode_run(struct dfs_decode *d, const uint8_t **in, size_t *in_len,
		   bool in_end, const void **out, size_t *out_len);

/* What went wrong, for people; "" when nothing did. Owned by @d. */
const char *dfs_decode_error(const struct dfs_decode *d);

#endif
