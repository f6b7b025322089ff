/*
 * maintutil — helpers of the maintenance tests (see maintutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "audit.h"
#include "blobs.h"
#include "catalog.h"
#include "deploy.h"
#include "isotime.h"
#include "maintutil.h"
#include "uuid7.h"

int tu_deploy_buf(struct tu_fix *fix, const char *project, const void *buf,
		  size_t n, struct dfs_record *rec)
{
	struct dfs_project_attr attr;
	struct dfs_deploy *d = NULL;
	struct dfs_who who;
	uint8_t id[16];
	int rc;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, project, &who, &attr, &d),
		0);
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM(buf, n), 0), 0);
	rc = dfs_deploy_commit(d, NULL, &attr);
	memcpy(id, dfs_deploy_record(d)->id, 16);
	dfs_deploy_free(d);
	if (rec)
		tu_get(fix, id, rec);
	return rc;
}

void tu_deploy(struct tu_fix *fix, const char *project, uint32_t seed,
	       struct dfs_record *rec)
{
	uint8_t *buf;
	size_t n;

	assert_int_equal(tu_targz(2000, seed, &buf, &n), 0);
	assert_int_equal(tu_deploy_buf(fix, project, buf, n, rec), 0);
	free(buf);
}

void tu_deploy_tar(struct tu_fix *fix, const char *project, size_t size,
		   uint32_t seed, struct dfs_record *rec)
{
	uint8_t *buf = malloc(size);

	assert_non_null(buf);
	tu_tar(buf, size, seed);
	assert_int_equal(tu_deploy_buf(fix, project, buf, size, rec), 0);
	free(buf);
}

void tu_deploy_text(struct tu_fix *fix, const char *project,
		    struct dfs_record *rec)
{
	static const char text[] = "plain text, not an archive\n";
	struct dfs_record r;

	assert_int_equal(
		tu_deploy_buf(fix, project, text, sizeof(text) - 1, &r),
		-EBADMSG);
	assert_int_equal(r.status, DFS_STATUS_FAILED);
	/* Its payload is kept unless a retention policy dropped it at once. */
	if (rec)
		*rec = r;
}

void tu_get(struct tu_fix *fix, const uint8_t id[16], struct dfs_record *rec)
{
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, rec),
			 0);
}

void tu_assert_current(struct tu_fix *fix, const char *project,
		       const struct dfs_record *rec)
{
	struct dfs_project p;

	assert_int_equal(dfs_catalog_project_get(dfs_store_catalog(fix->st),
						 project, &p),
			 0);
	if (!rec) {
		assert_false(p.has_current);
		return;
	}
	assert_true(p.has_current);
	assert_memory_equal(p.current, rec->id, 16);
}

bool tu_holds(struct tu_fix *fix, const struct dfs_record *rec)
{
	struct dfs_record now;

	tu_get(fix, rec->id, &now);
	return now.payload_blob_present;
}

void tu_blob_path(struct tu_fix *fix, const uint8_t hash[32], char *out)
{
	char rel[DFS_BLOB_PATH_MAX];

	dfs_blobs_path(dfs_store_blobs(fix->st), hash, rel);
	tu_path(out, "%s/%s", fix->dir, rel);
}

bool tu_blob_file_exists(struct tu_fix *fix, const uint8_t hash[32])
{
	char path[PATH_MAX];

	tu_blob_path(fix, hash, path);
	return access(path, F_OK) == 0;
}

void tu_blob_flip(struct tu_fix *fix, const uint8_t hash[32], uint64_t off)
{
	char path[PATH_MAX];
	struct stat sb;
	uint8_t b;
	int fd;

	tu_blob_path(fix, hash, path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(chmod(path, 0600), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b = (uint8_t)~b;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
	assert_int_equal(chmod(path, sb.st_mode & 07777), 0);
}

void tu_blob_truncate(struct tu_fix *fix, const uint8_t hash[32], uint64_t size)
{
	char path[PATH_MAX];
	struct stat sb;

	tu_blob_path(fix, hash, path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(truncate(path, (off_t)size), 0);
	assert_int_equal(chmod(path, sb.st_mode & 07777), 0);
}

void tu_blob_unlink(struct tu_fix *fix, const uint8_t hash[32])
{
	char path[PATH_MAX];

	tu_blob_path(fix, hash, path);
	assert_int_equal(unlink(path), 0);
}

struct audit_count {
	const char *action;
	const uint8_t *id;
	long n;
};

static int count_event(void *arg, const struct dfs_event *e)
{
	struct audit_count *c = arg;

	if (strcmp(e->action, c->action) == 0 &&
	    (!c->id || memcmp(e->id, c->id, 16) == 0))
		c->n++;
	return 0;
}

long tu_audit_count(struct tu_fix *fix, const char *action, const uint8_t *id)
{
	struct audit_count c = {action, id, 0};

	assert_int_equal(dfs_catalog_audit_scan(dfs_store_catalog(fix->st), 0,
						count_event, &c),
			 0);
	return c.n;
}

void tu_unknown_id(struct tu_fix *fix, uint8_t id[16])
{
	struct dfs_record rec;

	dfs_uuid7_next(NULL, (uint64_t)dfs_time_now_ms(), id);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, &rec),
			 -ENOENT);
}
