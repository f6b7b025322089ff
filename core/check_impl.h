/*
 * check_impl — what check_stream.c (the streaming reader) and
 * check_entry.c (what one entry's header is allowed to be, and its
 * manifest line) share. core/check*.c only.
 */
#ifndef DFS_CHECK_IMPL_H
#define DFS_CHECK_IMPL_H

#include <archive_entry.h>
#include <stdbool.h>
#include <stddef.h>

#include "record.h"

/*
 * dfs_check_entry_policy — whether entry @e may be unpacked: false, with
 * @err's code and message set (the entry's name escaped), for
 *   unsafe_path   an absolute path or one with a ".." component (or such a
 *                 hard link target), a symbolic link whose target is
 *                 absolute or climbs out of the archive's root from the
 *                 link's own directory
 *   unsafe_entry  a character or block device, FIFO or socket; the setuid
 *                 or setgid bit
 */
bool dfs_check_entry_policy(struct archive_entry *e,
			    struct dfs_record_error *err);

/*
 * dfs_check_entry_manifest — append @e's manifest line to @fd:
 * "<mode> <size> <path>[ -> <symlink target>| link to <hard link target>]"
 * with the path and targets escaped (dfs_check_entry_escape), so that the
 * line is always exactly one. Best effort: write errors lose the line.
 */
void dfs_check_entry_manifest(int fd, struct archive_entry *e);

/*
 * dfs_check_entry_escape — @s with backslash, and every byte below 0x20 or
 * 0x7f, escaped as C does (\\, \n, \t, else \ooo), into @out of @cap
 * bytes (NUL-terminated, cut short with "..." if it does not fit).
 * Returns @out.
 */
char *dfs_check_entry_escape(const char *s, char *out, size_t cap);

#endif
