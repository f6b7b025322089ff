/*
 * pg/audit — audit.log in the shared catalog.
 *
 * Each event is one JSON line in deployfs.audit under the byte offset
 * where it starts; the single row of deployfs.audit_head holds the next
 * seq and the end of the log. An append locks that row for the rest of
 * its transaction, so appends are serialised in commit order, offsets
 * are the cumulative byte lengths of the lines (gapless: a rollback
 * takes its offset back with it), and audit.log reads exactly as the
 * LMDB store serves it.
 */
#ifndef DFS_PG_AUDIT_H
#define DFS_PG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "pg.h"

/*
 * A maker of one event's line for @seq at @time_ms (the server's clock):
 * *@line is malloc'd (the caller frees it) and ends with '\n'.
 * Returns 0 or -errno.
 */
typedef int (*dfs_pg_line_fn)(void *arg, uint64_t seq, int64_t time_ms,
			      char **line, size_t *len);

/*
 * dfs_pg_audit_append — append the line @make makes, inside the caller's
 * transaction. *@off (may be NULL) is where it starts. Errors: -EINVAL
 * outside a transaction, what @make returns, -EIO, -errno.
 */
int dfs_pg_audit_append(struct dfs_pg *pg, dfs_pg_line_fn make, void *arg,
			uint64_t *off);

/* The size of audit.log in bytes. Returns 0 or -errno. */
int dfs_pg_audit_size(struct dfs_pg *pg, uint64_t *size);

/*
 * dfs_pg_audit_read — up to @n bytes of audit.log at @off into @buf;
 * *@got is 0 at the end. One query, reading only the lines it needs.
 * Returns 0 or -errno.
 */
int dfs_pg_audit_read(struct dfs_pg *pg, uint64_t off, void *buf, size_t n,
		      size_t *got);

#endif
