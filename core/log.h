/*
 * log — per-deployment files kept beside the catalog:
 *
 *   STORE/logs/<id>        what the check and the hook said, appended live
 *   STORE/manifests/<id>   the archive's entries, one per line:
 *                          "<mode string> <size> <path>[ -> <target>]"
 *                          path and target escaped as C strings (\\, \n,
 *                          \t, \ooo), so a line is always one entry
 *
 * Both are plain files written once in order and never rewritten, so a
 * reader (tail -f through the mount) sees them grow.
 */
#ifndef DFS_LOG_H
#define DFS_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

enum dfs_side_file {
	DFS_LOG,
	DFS_MANIFEST,
};

/*
 * dfs_log_open — open a deployment's log or manifest: for appending
 * (created if missing, @write true) or for reading. Errors: -ENOENT (no
 * such file, reading), -errno. The caller closes *@fd.
 */
int dfs_log_open(struct dfs_store *st, enum dfs_side_file which,
		 const uint8_t id[16], bool write, int *fd);

/*
 * dfs_log_remove — remove a deployment's log and manifest (those it has),
 * once its record is gone. Errors: -errno of the first that could not be
 * removed.
 */
int dfs_log_remove(struct dfs_store *st, const uint8_t id[16]);

/*
 * dfs_log_printf — append one line "<time> deployfs: <message>\n" to the
 * log open as @fd. Best effort: a log that cannot be written loses lines.
 */
void dfs_log_printf(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
