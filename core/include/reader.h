/*
 * reader — reads a stored payload and proves it on the way.
 *
 * While the reads come in order from offset 0 (each starts at or before
 * the end of the ones before it), the payload is being proven: a hasher
 * thread reads the blob file (through the page cache, beside the reads it
 * serves, at most DFS_READER_AHEAD bytes ahead of them) and hashes it.
 * The read that reaches the end waits for the hash: it fails with -EIO
 * when the bytes are not the record's, and the corruption is recorded as
 * an audit event ("payload_corrupt"), once per reader. Reads out of order
 * are served unverified (only a full sequential read proves anything).
 *
 * A blob once proven is marked with its file's identity (verified.h):
 * readers opened on it later, while the file is unchanged, serve every
 * read straight away with no hashing.
 *
 * Reads are served either as bytes (dfs_reader_read) or as a span of the
 * blob file for the caller to splice (dfs_reader_span); both keep the
 * rules above. Thread-safe.
 */
#ifndef DFS_READER_H
#define DFS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

#define DFS_READER_AHEAD (64u << 20)

struct dfs_reader;

/*
 * Open @rec's payload. Errors: -ENOENT (dropped), -EIO (blob missing),
 * -ENOMEM.
 */
int dfs_reader_open(struct dfs_store *st, const struct dfs_record *rec,
		    struct dfs_reader **out);

/* Read up to @n bytes at @off; *@got is 0 at the end. -EIO: corrupt. */
int dfs_reader_read(struct dfs_reader *r, void *buf, size_t n, uint64_t off,
		    size_t *got);

/*
 * The @n bytes at @off as a span of the blob file: *@fd is a new
 * descriptor of it, the caller's to close, whose bytes [@off, @off +
 * *@len) are the payload's (*@len is 0 at the end). Errors: -EIO
 * (corrupt, as for dfs_reader_read), -EMFILE, -ENFILE.
 */
int dfs_reader_span(struct dfs_reader *r, size_t n, uint64_t off, int *fd,
		    size_t *len);

/* Whether @r's payload is proven: hashed in full, or marked so. */
bool dfs_reader_proven(struct dfs_reader *r);

/* The hash of the blob @r serves (its record's payload_hash). */
const uint8_t *dfs_reader_hash(const struct dfs_reader *r);

/* Stops the hasher, if any, and frees @r; NULL is ignored. */
void dfs_reader_close(struct dfs_reader *r);

#endif
