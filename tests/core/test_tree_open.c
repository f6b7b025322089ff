/*
 * test_tree_open — what each kind of inode does on open, read, write,
 * create, rename, symlink, setattr and mknod, as a front end sees it
 * through dfs_tree_* and dfs_file_* (no kind tests in fs/).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "dropbox.h"
#include "file.h"
#include "treeutil.h"

static struct dfs_caller self(void)
{
	struct dfs_caller c = {0};

	c.uid = (uint32_t)getuid();
	c.gid = (uint32_t)getgid();
	c.pid = (int32_t)getpid();
	return c;
}

/* Read all of @f into @buf (at most @cap bytes) in small pieces. */
static size_t read_all(struct dfs_file *f, char *buf, size_t cap)
{
	size_t done = 0, got;

	do {
		size_t n = cap - done < 7 ? cap - done : 7;

		assert_int_equal(dfs_file_read(f, buf + done, n, done, &got),
				 0);
		done += got;
	} while (got && done < cap);
	return done;
}

static void test_tree_open_record_snapshot(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	struct dfs_file *f;
	struct tu_world w;
	char buf[8192];
	size_t n;

	tu_world_make(fix, &w);
	assert_int_equal(dfs_tree_open(tu_tree(fix),
				       tu_ino(fix, "deployments/%s/record.json",
					      w.id[TU_A]),
				       O_RDONLY, &c, &f),
			 0);
	assert_true(dfs_file_direct_io(f));
	n = read_all(f, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_non_null(strstr(buf, w.id[TU_A]));
	assert_int_equal(dfs_file_flush(f), 0);
	assert_int_equal(dfs_file_write(f, DFS_SRC_MEM("x", 1), 0, &c), -EBADF);
	dfs_file_close(f);
}

static void test_tree_open_audit_grows(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	struct dfs_record r;
	struct dfs_file *f;
	char buf[64];
	uint64_t size;
	size_t got;

	assert_int_equal(dfs_tree_open(tu_tree(fix), tu_ino(fix, "audit.log"),
				       O_RDONLY, &c, &f),
			 0);
	assert_true(dfs_file_direct_io(f));
	assert_int_equal(dfs_file_read(f, buf, sizeof(buf), 0, &got), 0);
	assert_int_equal(got, 0);
	tu_tree_deploy(fix, "web", 1, true, &r);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size), 0);
	assert_true(size > 0);
	assert_int_equal(dfs_file_read(f, buf, 1, 0, &got), 0);
	assert_int_equal(got, 1);
	assert_int_equal(buf[0], '{');
	dfs_file_close(f);
}

static void test_tree_open_payload_reads(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	struct dfs_file *f;
	struct tu_world w;
	char *buf;
	size_t n;

	tu_world_make(fix, &w);
	buf = malloc(w.rec[TU_A].payload_size + 1);
	assert_non_null(buf);
	assert_int_equal(
		dfs_tree_open(tu_tree(fix),
			      tu_ino(fix, "deployments/%s/payload", w.id[TU_A]),
			      O_RDONLY, &c, &f),
		0);
	assert_false(dfs_file_direct_io(f));
	n = read_all(f, buf, w.rec[TU_A].payload_size + 1);
	assert_int_equal(n, w.rec[TU_A].payload_size);
	dfs_file_close(f);
	free(buf);
}

/* @f's bytes at @off have a span of a blob file, holding @want. */
static void assert_span(struct dfs_file *f, uint64_t off, const char *want,
			size_t n)
{
	char got[64];
	size_t len = 0;
	int fd = -1;

	assert_true(n <= sizeof(got));
	assert_int_equal(dfs_file_span(f, n, off, &fd, &len), 0);
	assert_true(fd >= 0);
	assert_int_equal(len, n);
	assert_int_equal(pread(fd, got, n, (off_t)off), (ssize_t)n);
	assert_memory_equal(got, want, n);
	close(fd);
}

static void assert_no_span(struct dfs_file *f)
{
	size_t len = 1;
	int fd = 0;

	assert_int_equal(dfs_file_span(f, 16, 0, &fd, &len), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(len, 0);
}

/*
 * Payloads (deployments/<id>/payload, deploy/<p>) are spans of their
 * blob file; a record, or a drop box with its deploy in progress, is not.
 */
static void test_tree_open_spans(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	struct dfs_file *f, *w;
	struct tu_world wd;
	struct stat st;
	char buf[64];
	uint8_t *tgz;
	size_t len;

	tu_world_make(fix, &wd);
	assert_int_equal(dfs_tree_open(tu_tree(fix),
				       tu_ino(fix, "deployments/%s/payload",
					      wd.id[TU_A]),
				       O_RDONLY, &c, &f),
			 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), sizeof(buf));
	assert_span(f, 0, buf, sizeof(buf));
	assert_span(f, 10, buf + 10, 20);
	dfs_file_close(f);
	assert_int_equal(dfs_tree_open(tu_tree(fix),
				       tu_ino(fix, "deployments/%s/record.json",
					      wd.id[TU_A]),
				       O_RDONLY, &c, &f),
			 0);
	assert_no_span(f);
	dfs_file_close(f);

	/* A deploy in progress: its bytes are in the upload, no blob yet. */
	assert_int_equal(tu_targz(1000, 5, &tgz, &len), 0);
	assert_int_equal(dfs_tree_create(tu_tree(fix), DFS_INO_DEPLOY, "site",
					 O_RDWR | O_CREAT | O_TRUNC, 0644, &c,
					 &w, &st),
			 0);
	assert_int_equal(dfs_file_write(w, DFS_SRC_MEM(tgz, len), 0, &c), 0);
	assert_no_span(w);
	assert_int_equal(dfs_file_flush(w), 0);
	dfs_file_close(w);
	/* Committed: deploy/site reads the new payload from its blob. */
	assert_int_equal(dfs_tree_open(tu_tree(fix), tu_ino(fix, "deploy/site"),
				       O_RDONLY, &c, &f),
			 0);
	assert_span(f, 0, (const char *)tgz, sizeof(buf));
	dfs_file_close(f);
	free(tgz);
}

static void test_tree_open_refused(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	struct dfs_file *f = NULL;
	struct tu_world w;

	tu_world_make(fix, &w);
	assert_int_equal(dfs_tree_open(tu_tree(fix), tu_ino(fix, "deployments"),
				       O_WRONLY, &c, &f),
			 -EISDIR);
	assert_int_equal(dfs_tree_open(tu_tree(fix), tu_ino(fix, "audit.log"),
				       O_RDWR, &c, &f),
			 -EROFS);
	assert_int_equal(dfs_tree_open(tu_tree(fix),
				       tu_ino(fix, "projects/web/current"),
				       O_RDONLY, &c, &f),
			 -EINVAL);
	assert_null(f);
}

static void test_tree_create_write_flush(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	struct dfs_record r;
	struct dfs_file *f;
	struct stat st;
	uint8_t *tgz;
	size_t len;

	assert_int_equal(tu_targz(1000, 3, &tgz, &len), 0);
	assert_int_equal(dfs_tree_create(tu_tree(fix), DFS_INO_ROOT, "web",
					 O_WRONLY | O_CREAT, 0644, &c, &f, &st),
			 -EROFS);
	assert_int_equal(dfs_tree_create(tu_tree(fix), DFS_INO_DEPLOY, "web",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644, &c,
					 &f, &st),
			 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(dfs_file_direct_io(f));
	assert_int_equal(dfs_file_write(f, DFS_SRC_MEM(tgz, len), 0, &c), 0);
	assert_int_equal(dfs_file_flush(f), 0);
	dfs_file_close(f);
	assert_int_equal(
		dfs_catalog_latest(dfs_store_catalog(fix->st), "web", r.id), 0);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), r.id, &r),
			 0);
	assert_int_equal(r.status, DFS_STATUS_SUCCESS);
	free(tgz);
}

static void test_tree_rename_symlink_mknod_routes(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	uint64_t deps = tu_ino(fix, "deployments");
	struct stat st;

	assert_int_equal(
		dfs_tree_rename(tu_tree(fix), deps, "a", deps, "b", 0, &c),
		-EROFS);
	assert_int_equal(dfs_tree_rename(tu_tree(fix), DFS_INO_DEPLOY, "a",
					 deps, "b", 0, &c),
			 -EXDEV);
	assert_int_equal(dfs_tree_rename(tu_tree(fix), DFS_INO_DEPLOY, "a",
					 DFS_INO_DEPLOY, "b", 1, &c),
			 -EINVAL);
	assert_int_equal(dfs_tree_symlink(tu_tree(fix), deps, "l",
					  "../deployments/x", &c, &st),
			 -EROFS);
	assert_int_equal(dfs_tree_mknod(tu_tree(fix), DFS_INO_DEPLOY), -EPERM);
	assert_int_equal(dfs_tree_mknod(tu_tree(fix), deps), -EROFS);
}

static void test_tree_setattr_routes(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_caller c = self();
	struct dfs_setattr sa = {.mask = DFS_SET_MODE, .mode = 01777};
	struct stat st;

	assert_int_equal(dfs_tree_setattr(tu_tree(fix),
					  tu_ino(fix, "deployments"), &sa, NULL,
					  &c, &st),
			 -EROFS);
	assert_int_equal(dfs_tree_setattr(tu_tree(fix), DFS_INO_DEPLOY, &sa,
					  NULL, &c, &st),
			 0);
	assert_int_equal(st.st_ino, DFS_INO_DEPLOY);
	assert_int_equal(st.st_mode & 07777, 01777);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_tree_setup, tu_tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tree_open_record_snapshot),
		T(test_tree_open_audit_grows),
		T(test_tree_open_payload_reads),
		T(test_tree_open_spans),
		T(test_tree_open_refused),
		T(test_tree_create_write_flush),
		T(test_tree_rename_symlink_mknod_routes),
		T(test_tree_setattr_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
