/*
 * dbutil — what the dropbox tests share: a store plus a dropbox per test,
 * and the steps the kernel takes for cp, cat and the like, spelt out on
 * the dropbox API. Each helper fails the running test on an unexpected
 * error, except where it returns the error it exists to observe.
 */
#ifndef DFS_DBUTIL_H
#define DFS_DBUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "dropbox.h"
#include "record.h"
#include "testutil.h"

#define WCREAT (O_WRONLY | O_CREAT | O_TRUNC)
#define SCREAT (O_WRONLY | O_CREAT | O_EXCL) /* rsync's temp file */

/* tu_store_setup plus a dropbox in fix->extra; teardown frees both. */
int tu_db_setup(void **state);
int tu_db_teardown(void **state);
struct dfs_dropbox *tu_db(struct tu_fix *fix);

/* This process as the writer. */
struct dfs_caller tu_caller(void);

/* dfs_dropbox_create with O_CREAT added; must succeed. */
struct dfs_dbfile *tu_create(struct tu_fix *fix, const char *name, int flags,
			     uint32_t mode);
/* Lookup by name, then open by kind and num; must succeed. */
struct dfs_dbfile *tu_open(struct tu_fix *fix, const char *name, int flags);
/* open(O_WRONLY | O_CREAT | O_TRUNC): open if visible, else create. */
struct dfs_dbfile *tu_open_trunc(struct tu_fix *fix, const char *name);
void tu_lookup(struct tu_fix *fix, const char *name, struct dfs_dbstat *sb);
/* setattr on deploy/@name with no open handle; returns its result. */
int tu_setattr(struct tu_fix *fix, const char *name,
	       const struct dfs_setattr *sa);

/* Write all of @buf in order, in chunks; every write must succeed. */
void tu_write_all(struct dfs_dbfile *f, const uint8_t *buf, size_t n);
/* cp: open with O_TRUNC, write, flush, close; returns flush's result. */
int tu_cp(struct tu_fix *fix, const char *name, const uint8_t *buf, size_t n);
/* cat: all of deploy/@name through a read-only handle; its size. */
size_t tu_cat(struct tu_fix *fix, const char *name, uint8_t *buf, size_t cap);

/* The project's current record (it must have one), or its latest. */
void tu_current(struct tu_fix *fix, const char *project,
		struct dfs_record *rec);
void tu_latest(struct tu_fix *fix, const char *project, struct dfs_record *rec);
/* Deployments with @status ("success", ...), or all for NULL. */
long tu_count(struct tu_fix *fix, const char *status);

#endif
