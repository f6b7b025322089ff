/*
 * check — is a payload an archive deployfs accepts?
 *
 * For now the first bytes are sniffed: gzip, zstd, xz or bzip2 magic, or a
 * ustar/GNU tar header (magic at offset 257). The format name is what the
 * record shows as payload_format.
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

#endif
