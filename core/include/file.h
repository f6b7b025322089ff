/*
 * file — an open file of the mounted tree, whatever its kind: a
 * record.json snapshot, audit.log, a deployment's log or manifest, its
 * verified payload reader, or a drop box in deploy/. Opened by the tree
 * (dfs_tree_open, dfs_tree_create), read, written and closed here, so a
 * front end holds one handle type and never tests kinds.
 *
 * A handle is used by one request at a time for reads (the reader of a
 * payload checks the hash of reads in order); flush may run beside a
 * read. Nothing in it is borrowed: it lives until dfs_file_close.
 */
#ifndef DFS_FILE_H
#define DFS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src.h"
#include "who.h"

struct dfs_file;

/*
 * dfs_file_direct_io — whether the kernel should bypass its page cache
 * for this handle: a snapshot that differs per open (record.json), a file
 * that grows (audit.log, a log), and a drop box opened for writing
 * (payloads can be many GB). A payload goes through the page cache; its
 * pages outlive the handle only while its blob file stays proven (see
 * dfs_file_keep_cache), so every full read is checked (hashed, found
 * proven while its blob file is unchanged, or served from pages read
 * from that proven file).
 */
bool dfs_file_direct_io(const struct dfs_file *f);

/*
 * dfs_file_keep_cache — whether the kernel may keep the pages it cached
 * of this inode from earlier opens: only when they can hold nothing but
 * the proven bytes this handle serves (see keepcache.h). Otherwise the
 * open drops them.
 */
bool dfs_file_keep_cache(const struct dfs_file *f);

/*
 * dfs_file_read — up to @n bytes at @off into @buf; *@got is 0 at the
 * end. Errors: -EIO (a payload whose bytes no longer match its hash, or
 * a blob gone), -EBADF (a drop box opened write-only), -errno.
 */
int dfs_file_read(struct dfs_file *f, void *buf, size_t n, uint64_t off,
		  size_t *got);

/*
 * dfs_file_span — the @n bytes at @off as a span of a payload's blob
 * file, for the caller to splice: *@fd is a new descriptor of it, the
 * caller's to close, whose bytes [@off, @off + *@len) are the payload's
 * (*@len is 0 at the end), checked as dfs_file_read checks them. *@fd is
 * -1 when the bytes are not in a blob file (not a payload, a drop box
 * with a deploy in progress or opened write-only): read them with
 * dfs_file_read. Errors: -EIO (as dfs_file_read), -EMFILE, -ENFILE.
 */
int dfs_file_span(struct dfs_file *f, size_t n, uint64_t off, int *fd,
		  size_t *len);

/*
 * dfs_file_write — @src's bytes at @off (see src.h), by @c: only drop
 * boxes take writes (see dropbox.h for what a write starts). Errors:
 * -EBADF (not a drop box, or opened read-only), -EFBIG (past
 * max_payload), -ENOSPC, -EIO, -errno.
 */
int dfs_file_write(struct dfs_file *f, const struct dfs_src *src, uint64_t off,
		   const struct dfs_caller *c);

/*
 * dfs_file_flush — commit what was written (a drop box's close: the
 * deployment settles and its failure is returned here); other kinds
 * have nothing to flush. Errors: as dfs_dbfile_flush.
 */
int dfs_file_flush(struct dfs_file *f);

/* Close @f and free it (NULL is a no-op); a drop box not flushed aborts. */
void dfs_file_close(struct dfs_file *f);

#endif
