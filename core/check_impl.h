/*
 * check_impl — what check_stream.c (the streaming reader),
 * check_entry.c (what one entry's header is allowed to be, and its
 * manifest line) and check_links.c (where entries land through the
 * archive's symbolic links) share. core/check*.c only.
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

/*
 * check_links — where each entry of an archive lands when it is unpacked
 * in order, as an extractor that follows symbolic links would put it: the
 * symbolic links seen so far are kept (location -> target; nothing else
 * is), and each entry's directories, each hard link's target and each
 * symbolic link's target are walked through them, component by component.
 * A location is a path free of links ("a/b/c"), relative to the root.
 *
 * At most DFS_CHECK_LINKS_HOPS links are followed in one walk (the
 * kernel's bound), and at most DFS_CHECK_LINKS_WALK_MAX bytes of path and
 * targets walked; past either, the entry is refused. Following links
 * costs copies of paths: over the whole archive at most
 * DFS_CHECK_LINKS_SPEND_BASE bytes plus DFS_CHECK_LINKS_SPEND_ENTRY per
 * entry are copied, so that entries that each go through long chains
 * cannot cost minutes; past that, the archive is refused as too_large.
 * The links kept take at most the bytes given to dfs_check_links_new
 * (names, targets, the map); past that, too_large as well.
 */
#define DFS_CHECK_LINKS_MAX	    (32U << 20)
#define DFS_CHECK_LINKS_HOPS	    40U
#define DFS_CHECK_LINKS_WALK_MAX    (32U << 10)
#define DFS_CHECK_LINKS_SPEND_BASE  (64ULL << 20)
#define DFS_CHECK_LINKS_SPEND_ENTRY (4ULL << 10)

struct dfs_check_links;

/* An empty set of links, of at most @max_bytes. Errors: -ENOMEM. */
int dfs_check_links_new(size_t max_bytes, struct dfs_check_links **out);

void dfs_check_links_free(struct dfs_check_links *l);

/*
 * dfs_check_links_entry — the next entry, at @path, a symbolic link to
 * @symlink or a hard link to @hardlink (NULL: neither), whose text
 * dfs_check_entry_policy already passed. A symbolic link is kept; any
 * other entry put where a link is must find that link leading inside the
 * root (an extractor may write through it), and the link stays; a hard
 * link to a symbolic link is one more symbolic link. Returns 0, or with
 * @err set (the entry and the links gone through named in its message):
 *   -EBADMSG  unsafe_path: the entry's location, or the hard link's
 *             target, or the symbolic link's target (followed to its
 *             end), or the link the entry is put on, leaves the root; or
 *             the walk needs more than the hops or walk bounds above
 *   -EFBIG    too_large: keeping the link would pass the memory bound, or
 *             the archive's links cost more to follow than allowed
 *   -ENOMEM   no_memory
 */
int dfs_check_links_entry(struct dfs_check_links *l, const char *path,
			  const char *symlink, const char *hardlink,
			  struct dfs_record_error *err);

/*
 * dfs_check_links_finish — after the last entry: every link kept, walked
 * as the unpacked tree has it (a later link may redirect an earlier one),
 * must stay in the root. Returns 0, or -EBADMSG (unsafe_path, the first
 * such link in the archive's order named) or -ENOMEM with @err set.
 */
int dfs_check_links_finish(struct dfs_check_links *l,
			   struct dfs_record_error *err);

#endif
