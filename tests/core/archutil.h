/*
 * archutil — archives made for the tests by libarchive's writer, so that
 * the check is measured against an independent implementation: tar
 * archives of chosen entries under any compression, and plain tars of an
 * exact size whose middle may be changed without breaking them.
 */
#ifndef DFS_ARCHUTIL_H
#define DFS_ARCHUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "testutil.h"

/* One entry of an archive to build. */
struct tu_entry {
	const char *path;
	char type;     /* 'f' file, 'd' directory, 'l' symlink, 'h' hard link,
			  'c' character or 'b' block device, 'p' FIFO */
	unsigned mode; /* permission bits; 0: 0644 (0755 directories) */
	const char *data; /* file content; NULL: @size bytes of tu_fill */
	size_t size;	  /* bytes of content (strlen(data) when 0) */
	uint32_t seed;	  /* for tu_fill when data is NULL */
	const char *link; /* target of a symlink or hard link */
};

/*
 * tu_archive — a tar (pax restricted) of @n entries compressed with
 * @filter: "none", "gzip", "xz", "bzip2" or "zstd". *@out is malloc'd.
 * Returns 0, 1 when this libarchive cannot write @filter (skip the test),
 * -1 on error.
 */
int tu_archive(const struct tu_entry *e, size_t n, const char *filter,
	       uint8_t **out, size_t *len);

/* tu_archive with libarchive writer @options ("xz:compression-level=9"). */
int tu_archive_opt(const struct tu_entry *e, size_t n, const char *filter,
		   const char *options, uint8_t **out, size_t *len);

/* tu_archive that skips the test when libarchive cannot write @filter. */
void tu_archive_or_skip(const struct tu_entry *e, size_t n, const char *filter,
			uint8_t **out, size_t *len);

/*
 * tu_gzip_raw — @n bytes gzip-compressed as they are (no tar inside).
 * *@out is malloc'd. Returns 0 or -1.
 */
int tu_gzip_raw(const void *buf, size_t n, uint8_t **out, size_t *len);

/*
 * tu_tar — fill @buf with exactly @n bytes (@n >= TU_TAR_MIN) that make a
 * valid plain tar of one file: a header, the file's data (tu_fill(@seed)),
 * the end marker, then zeros. Bytes [TU_TAR_DATA, TU_TAR_DATA + 512) are
 * always file data, so changing them keeps the archive valid; bytes after
 * the archive must be zeros (anything else is corrupt_archive).
 */
#define TU_TAR_MIN  2048
#define TU_TAR_DATA 512
void tu_tar(void *buf, size_t n, uint32_t seed);

/* @n bytes of @buf as the file @name in the test's directory, open O_RDWR. */
int tu_file_fd(struct tu_fix *fix, const char *name, const void *buf, size_t n);

/*
 * tu_check_buf — the full check (check.h) of @n bytes of @buf at once, as
 * the file "payload" in the test's directory; manifest lines go to @mfd
 * (-1: none). dfs_check_finish must return 0.
 */
void tu_check_buf(struct tu_fix *fix, const void *buf, size_t n, int mfd,
		  struct dfs_check_result *res);

#endif
