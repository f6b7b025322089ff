/*
 * dbutil — helpers of the dropbox tests (see dbutil.h).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "dbutil.h"

int tu_db_setup(void **state)
{
	struct dfs_dropbox *db = NULL;
	struct tu_fix *fix;

	if (tu_store_setup(state))
		return -1;
	fix = *state;
	if (dfs_dropbox_new(fix->st, &fix->conf, &db)) {
		tu_teardown(state);
		return -1;
	}
	fix->extra = db;
	return 0;
}

int tu_db_teardown(void **state)
{
	struct tu_fix *fix = *state;

	if (fix && fix->extra)
		dfs_dropbox_free(fix->extra);
	return tu_teardown(state);
}

struct dfs_dropbox *tu_db(struct tu_fix *fix)
{
	return fix->extra;
}

struct dfs_caller tu_caller(void)
{
	struct dfs_caller c = {
		.uid = (uint32_t)getuid(),
		.gid = (uint32_t)getgid(),
		.pid = (int32_t)getpid(),
	};

	return c;
}

/* Create deploy/@name as open(2) with O_CREAT would. */
struct dfs_dbfile *tu_create(struct tu_fix *fix, const char *name, int flags,
			     uint32_t mode)
{
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f = NULL;

	assert_int_equal(dfs_dropbox_create(tu_db(fix), name, flags | O_CREAT,
					    mode, &c, &f),
			 0);
	assert_non_null(f);
	return f;
}

/* Open an existing deploy/@name: lookup, then open by kind and num. */
struct dfs_dbfile *tu_open(struct tu_fix *fix, const char *name, int flags)
{
	struct dfs_caller c = tu_caller();
	struct dfs_dbfile *f = NULL;
	struct dfs_dbstat sb;

	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), name, &sb), 0);
	assert_int_equal(
		dfs_dropbox_open(tu_db(fix), sb.kind, sb.num, flags, &c, &f),
		0);
	assert_non_null(f);
	return f;
}

/* What the kernel does for open(O_WRONLY | O_CREAT | O_TRUNC). */
struct dfs_dbfile *tu_open_trunc(struct tu_fix *fix, const char *name)
{
	struct dfs_dbstat sb;

	if (dfs_dropbox_lookup(tu_db(fix), name, &sb) == 0)
		return tu_open(fix, name, O_WRONLY | O_TRUNC);
	return tu_create(fix, name, O_WRONLY | O_TRUNC, 0644);
}

void tu_lookup(struct tu_fix *fix, const char *name, struct dfs_dbstat *sb)
{
	assert_int_equal(dfs_dropbox_lookup(tu_db(fix), name, sb), 0);
}

int tu_setattr(struct tu_fix *fix, const char *name,
	       const struct dfs_setattr *sa)
{
	struct dfs_caller c = tu_caller();
	struct dfs_dbstat sb, out;

	tu_lookup(fix, name, &sb);
	return dfs_dropbox_setattr(tu_db(fix), sb.kind, sb.num, NULL, sa, &c,
				   &out);
}

void tu_write_all(struct dfs_dbfile *f, const uint8_t *buf, size_t n)
{
	struct dfs_caller c = tu_caller();
	size_t off, chunk;

	for (off = 0; off < n; off += chunk) {
		chunk = n - off < 32768 ? n - off : 32768;
		assert_int_equal(dfs_dbfile_write(f,
						  DFS_SRC_MEM(buf + off, chunk),
						  off, &c),
				 0);
	}
}

/* cp: open with O_CREAT | O_TRUNC, write, close. Returns flush's result. */
int tu_cp(struct tu_fix *fix, const char *name, const uint8_t *buf, size_t n)
{
	struct dfs_dbfile *f = tu_open_trunc(fix, name);
	int rc;

	tu_write_all(f, buf, n);
	rc = dfs_dbfile_flush(f);
	dfs_dbfile_close(f);
	return rc;
}

/* Read all of deploy/@name through a read-only handle. */
size_t tu_cat(struct tu_fix *fix, const char *name, uint8_t *buf, size_t cap)
{
	struct dfs_dbfile *f = tu_open(fix, name, O_RDONLY);
	size_t total = 0, got;

	do {
		got = 0;
		assert_int_equal(dfs_dbfile_read(f, buf + total, cap - total,
						 total, &got),
				 0);
		total += got;
	} while (got > 0 && total < cap);
	dfs_dbfile_close(f);
	return total;
}

void tu_current(struct tu_fix *fix, const char *project, struct dfs_record *rec)
{
	struct dfs_project p;

	assert_int_equal(dfs_catalog_project_get(dfs_store_catalog(fix->st),
						 project, &p),
			 0);
	assert_true(p.has_current);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), p.current, rec), 0);
}

void tu_latest(struct tu_fix *fix, const char *project, struct dfs_record *rec)
{
	uint8_t id[16];

	assert_int_equal(
		dfs_catalog_latest(dfs_store_catalog(fix->st), project, id), 0);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, rec),
			 0);
}

long tu_count(struct tu_fix *fix, const char *status)
{
	if (!status)
		return tu_count_records(dfs_store_catalog(fix->st),
					DFS_SCAN_ALL, NULL);
	return tu_count_records(dfs_store_catalog(fix->st), DFS_SCAN_STATUS,
				status);
}
