/*
 * check — is a payload a complete, safe tar archive?
 *
 * The full check streams: a thread reads the payload's file from offset 0
 * while it is still being written, as far as the writer has written in
 * order, and feeds every byte to SHA-256 and to libarchive (decompression
 * with any filter it has, then tar), reading every entry header and every
 * data byte to the end of the compressed stream. The check thus overlaps
 * the upload instead of following it, and memory does not depend on the
 * payload's size. It fails with
 *   not_an_archive     not tar, plain or compressed
 *   truncated_archive  the data ends before the archive does
 *   corrupt_archive    anything else that cannot be read, and bytes other
 *                      than zeros after the end of the archive or of its
 *                      compressed stream
 *   unsafe_path        an entry (or hard link target) that is absolute or
 *                      has a ".." component; a symbolic link whose target
 *                      is absolute or climbs out of the archive's root;
 *                      an entry, hard link or symbolic link that leaves
 *                      the root once the links before it (and, for links,
 *                      all of them at the end) are followed, or that
 *                      needs too many links followed (check_impl.h)
 *   unsafe_entry       a device, FIFO or socket; a setuid or setgid entry
 *   too_large          the archive unpacks to more than the limit (or its
 *                      compression needs a window over DFS_CHECK_WINDOW_MAX,
 *                      or its links more than DFS_CHECK_LINKS_MAX bytes)
 * and records the entries (the manifest), their count and sizes, and the
 * package_identifier of a package.json at the top or under one top folder.
 * too_large stops the check where it is found; the others are reported
 * once the archive is read (the first problem wins).
 *
 * dfs_check_sniff is the cheap first look: magic numbers only.
 */
#ifndef DFS_CHECK_H
#define DFS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/*
 * dfs_check_sniff — classify the @n first bytes of a payload of @size
 * bytes. Returns 0 with @format set ("tar+gzip", "tar", ...), or -EBADMSG
 * with @err set (code "not_an_archive", phase validate).
 */
int dfs_check_sniff(const void *head, size_t n, uint64_t size,
		    char format[DFS_FORMAT_MAX], struct dfs_record_error *err);

/* Same, reading the head of @fd. -EIO when it cannot be read. */
int dfs_check_fd(int fd, uint64_t size, char format[DFS_FORMAT_MAX],
		 struct dfs_record_error *err);

/* What a full check found. */
struct dfs_check_result {
	uint8_t hash[32]; /* SHA-256 of all the payload's bytes */
	uint64_t size;
	char format[DFS_FORMAT_MAX]; /* "tar+gzip", "tar", ... */
	uint64_t entries;
	uint64_t unpacked_size;	       /* sum of entry sizes */
	char package[DFS_PACKAGE_MAX]; /* "name@version" or "" */
	struct dfs_record_error error; /* code "" when it passed */
};

struct dfs_check;

/*
 * The largest window (history, dictionary) a decompressor may need: zstd
 * windows and xz dictionaries up to 32 MiB (xz -8, zstd -19 and below),
 * which bounds the check's memory whatever the payload asks for.
 */
#define DFS_CHECK_WINDOW_MAX (32ULL << 20)

/* The default unpacked limit is 100 x the payload's size, at least this. */
#define DFS_CHECK_UNPACKED_MIN (1ULL << 30)

/*
 * dfs_check_start — start checking the file open as @fd from offset 0.
 * Entries go to @manifest_fd (-1: none) as log.h describes. The archive
 * may unpack to @max_unpacked bytes (decompressed, and declared by its
 * entries), 0: 100 times the payload's size, at least
 * DFS_CHECK_UNPACKED_MIN. No byte is read beyond what dfs_check_advance or
 * dfs_check_finish declared final. Errors: -ENOMEM, -EAGAIN (no thread).
 * Free with finish or cancel.
 */
int dfs_check_start(int fd, int manifest_fd, uint64_t max_unpacked,
		    struct dfs_check **out);

/* Bytes [0, @upto) of the file are final: the check may read them. */
void dfs_check_advance(struct dfs_check *c, uint64_t upto);

/*
 * dfs_check_finish — the file is complete at @size bytes: wait for the
 * check to end, fill @res and free @c. Returns 0 (the verdict is in
 * res->error) or -errno when the file could not be read (-EIO) or the
 * decompressor could not get its memory (-ENOMEM).
 */
int dfs_check_finish(struct dfs_check *c, uint64_t size,
		     struct dfs_check_result *res);

/* Stop the check (its file changed behind it) and free @c. */
void dfs_check_cancel(struct dfs_check *c);

#endif
