/*
 * reader — reads a stored payload and proves it on the way: while the
 * reads come in order from offset 0, their bytes are hashed; the read
 * that reaches the end fails with -EIO when the hash is not the record's,
 * and the corruption is recorded as an audit event ("payload_corrupt").
 * Reads out of order are served unverified (only a full sequential read
 * proves anything). Thread-safe: reads are serialised.
 */
#ifndef DFS_READER_H
#define DFS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "store.h"

struct dfs_reader;

/* Open @rec's payload. Errors: -ENOENT (dropped), -EIO (blob missing). */
int dfs_reader_open(struct dfs_store *st, const struct dfs_record *rec,
		    struct dfs_reader **out);

/* Read up to @n bytes at @off; *@got is 0 at the end. -EIO: corrupt. */
int dfs_reader_read(struct dfs_reader *r, void *buf, size_t n, uint64_t off,
		    size_t *got);

void dfs_reader_close(struct dfs_reader *r);

#endif
