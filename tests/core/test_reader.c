/*
 * test_reader — payloads read back through dfs_reader: a full sequential
 * read proves the bytes, and the read that reaches the end of a damaged
 * payload fails with -EIO and leaves one "payload_corrupt" audit event;
 * reads out of order are served unverified. Spans of the blob file
 * (dfs_reader_span) keep the same rules, and a blob proven once is marked
 * so, until its file changes.
 */
#include <errno.h>
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

#include "payload.h"
#include "blobs.h"
#include "catalog.h"
#include "maintutil.h"
#include "reader.h"
#include "verified.h"

#define CHUNK 700

/* Deploy a tar.gz from @seed; its bytes into *@buf (malloc'd). */
static void deploy(struct tu_fix *fix, uint32_t seed, struct dfs_record *rec,
		   uint8_t **buf, size_t *n)
{
	assert_int_equal(tu_targz(5000, seed, buf, n), 0);
	assert_int_equal(tu_deploy_buf(fix, "web", *buf, *n, rec), 0);
	assert_int_equal(rec->payload_size, *n);
	assert_true(*n > 3 * CHUNK);
}

static struct dfs_reader *open_reader(struct tu_fix *fix,
				      const struct dfs_record *rec)
{
	struct dfs_reader *r = NULL;

	assert_int_equal(dfs_reader_open(fix->st, rec, &r), 0);
	assert_non_null(r);
	return r;
}

/*
 * Read in order, CHUNK bytes at a time, into @out; returns the first
 * error, and *@at the offset of the read that gave it.
 */
static int read_all(struct dfs_reader *r, uint8_t *out, size_t cap,
		    uint64_t *at)
{
	uint64_t off = 0;
	size_t got;
	int rc;

	for (;;) {
		got = 0;
		rc = dfs_reader_read(r, out + off, CHUNK, off, &got);
		if (rc) {
			*at = off;
			return rc;
		}
		if (got == 0)
			return 0;
		off += got;
		assert_true(off + CHUNK <= cap);
	}
}

static void test_reader_read_intact(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, *out;
	uint64_t at = 0;
	size_t n, got;

	deploy(fix, 1, &rec, &buf, &n);
	out = calloc(1, n + 2 * CHUNK);
	assert_non_null(out);
	r = open_reader(fix, &rec);
	assert_int_equal(read_all(r, out, n + 2 * CHUNK, &at), 0);
	assert_memory_equal(out, buf, n);
	/* Past the end: nothing, no error. */
	assert_int_equal(dfs_reader_read(r, out, CHUNK, n, &got), 0);
	assert_int_equal(got, 0);
	dfs_reader_close(r);
	/* All at once. */
	r = open_reader(fix, &rec);
	assert_int_equal(dfs_reader_read(r, out, n + CHUNK, 0, &got), 0);
	assert_int_equal(got, n);
	assert_memory_equal(out, buf, n);
	dfs_reader_close(r);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", NULL), 0);
	free(out);
	free(buf);
}

static void test_reader_read_corrupt(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t *buf, *out;
	struct dfs_record rec, back;
	struct dfs_reader *r;
	uint64_t at = 0;
	size_t n, got;

	deploy(fix, 2, &rec, &buf, &n);
	tu_blob_flip(fix, rec.payload_hash, 10);
	out = calloc(1, n + 2 * CHUNK);
	assert_non_null(out);
	r = open_reader(fix, &rec);
	assert_int_equal(read_all(r, out, n + 2 * CHUNK, &at), -EIO);
	/* The reads before the end gave their bytes; the last one failed. */
	assert_true(at + CHUNK >= n);
	assert_true(at < n);
	assert_int_equal(out[10], (uint8_t)~buf[10]);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", rec.id), 1);
	/* Reaching the end again fails again, and is not logged twice. */
	assert_int_equal(dfs_reader_read(r, out, CHUNK, at, &got), -EIO);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", rec.id), 1);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", NULL), 1);
	dfs_reader_close(r);
	/* The record is not changed by it. */
	tu_get(fix, rec.id, &back);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_true(back.payload_blob_present);
	free(out);
	free(buf);
}

static void test_reader_read_corrupt_at_once(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, *out;
	size_t n, got = 77;

	deploy(fix, 3, &rec, &buf, &n);
	tu_blob_flip(fix, rec.payload_hash, n - 1);
	out = malloc(n);
	assert_non_null(out);
	r = open_reader(fix, &rec);
	assert_int_equal(dfs_reader_read(r, out, n, 0, &got), -EIO);
	dfs_reader_close(r);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", rec.id), 1);
	free(out);
	free(buf);
}

static void test_reader_read_jump_unverified(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, out[CHUNK];
	uint64_t off;
	size_t n, got;

	deploy(fix, 4, &rec, &buf, &n);
	tu_blob_flip(fix, rec.payload_hash, 10);
	r = open_reader(fix, &rec);
	assert_int_equal(dfs_reader_read(r, out, CHUNK, 0, &got), 0);
	assert_int_equal(got, CHUNK);
	/* Skip a chunk: from here on nothing is proven. */
	for (off = 2 * CHUNK;; off += got) {
		assert_int_equal(dfs_reader_read(r, out, CHUNK, off, &got), 0);
		if (got == 0)
			break;
		assert_memory_equal(out, buf + off, got);
	}
	assert_int_equal(off, n);
	assert_int_equal(dfs_reader_read(r, out, CHUNK, CHUNK, &got), 0);
	assert_int_equal(got, CHUNK);
	dfs_reader_close(r);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", NULL), 0);
	free(buf);
}

static void test_reader_read_truncated(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, *out;
	uint64_t at = 0;
	size_t n;

	deploy(fix, 5, &rec, &buf, &n);
	tu_blob_truncate(fix, rec.payload_hash, n - 100);
	out = calloc(1, n + 2 * CHUNK);
	assert_non_null(out);
	r = open_reader(fix, &rec);
	assert_int_equal(read_all(r, out, n + 2 * CHUNK, &at), -EIO);
	dfs_reader_close(r);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", rec.id), 1);
	free(out);
	free(buf);
}

static void test_reader_open_dropped(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_reader *r = NULL;
	struct dfs_record rec;
	struct dfs_who who;
	uint64_t freed;
	uint8_t *buf;
	size_t n;

	tu_who(&who);
	deploy(fix, 6, &rec, &buf, &n);
	assert_int_equal(
		dfs_payload_drop(fix->st, rec.id, DFS_DROP_ASKED, &who, &freed),
		0);
	tu_get(fix, rec.id, &rec);
	assert_int_equal(dfs_reader_open(fix->st, &rec, &r), -ENOENT);
	assert_null(r);
	free(buf);
}

static void test_reader_open_missing_blob(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_reader *r = NULL;
	struct dfs_record rec;
	uint8_t *buf;
	size_t n;

	deploy(fix, 7, &rec, &buf, &n);
	tu_blob_unlink(fix, rec.payload_hash);
	assert_int_equal(dfs_reader_open(fix->st, &rec, &r), -EIO);
	assert_null(r);
	free(buf);
}

/* Span in order, CHUNK bytes at a time, into @out, as read(2) would. */
static int span_all(struct dfs_reader *r, uint8_t *out, size_t cap,
		    uint64_t *at)
{
	uint64_t off = 0;
	size_t len;
	ssize_t k;
	int rc, fd;

	for (;;) {
		len = 0;
		fd = -1;
		rc = dfs_reader_span(r, CHUNK, off, &fd, &len);
		if (rc) {
			*at = off;
			return rc;
		}
		assert_true(fd >= 0);
		assert_true(len <= CHUNK);
		assert_true(off + len <= cap);
		k = pread(fd, out + off, len, (off_t)off);
		close(fd);
		assert_int_equal(k, (ssize_t)len);
		if (len == 0)
			return 0;
		off += len;
	}
}

static void test_reader_span_intact(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, *out, b;
	uint64_t at = 0;
	size_t n, len;
	int fd;

	deploy(fix, 8, &rec, &buf, &n);
	out = calloc(1, n + CHUNK);
	assert_non_null(out);
	r = open_reader(fix, &rec);
	assert_int_equal(span_all(r, out, n + CHUNK, &at), 0);
	assert_memory_equal(out, buf, n);
	/* The span's descriptor is the caller's: it outlives the reader. */
	assert_int_equal(dfs_reader_span(r, 1, 3, &fd, &len), 0);
	assert_int_equal(len, 1);
	dfs_reader_close(r);
	assert_int_equal(pread(fd, &b, 1, 3), 1);
	assert_int_equal(b, buf[3]);
	close(fd);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", NULL), 0);
	free(out);
	free(buf);
}

static void test_reader_span_corrupt(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, *out;
	uint64_t at = 0;
	size_t n;

	deploy(fix, 9, &rec, &buf, &n);
	tu_blob_flip(fix, rec.payload_hash, 100);
	out = calloc(1, n + CHUNK);
	assert_non_null(out);
	r = open_reader(fix, &rec);
	assert_int_equal(span_all(r, out, n + CHUNK, &at), -EIO);
	assert_true(at + CHUNK >= n);
	assert_true(at < n);
	assert_false(dfs_reader_proven(r));
	dfs_reader_close(r);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", rec.id), 1);
	free(out);
	free(buf);
}

/* Re-reading what was read already keeps a read in order. */
static void test_reader_read_reread_corrupt(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, out[CHUNK];
	uint64_t off;
	size_t n, got;
	int rc = 0;

	deploy(fix, 10, &rec, &buf, &n);
	tu_blob_flip(fix, rec.payload_hash, n / 2);
	r = open_reader(fix, &rec);
	assert_int_equal(dfs_reader_read(r, out, CHUNK, 0, &got), 0);
	assert_int_equal(dfs_reader_read(r, out, CHUNK, 0, &got), 0);
	assert_int_equal(dfs_reader_read(r, out, CHUNK, CHUNK / 2, &got), 0);
	for (off = CHUNK / 2 + got; rc == 0; off += got) {
		rc = dfs_reader_read(r, out, CHUNK, off, &got);
		assert_true(rc == -EIO || got > 0);
	}
	assert_int_equal(rc, -EIO);
	dfs_reader_close(r);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", rec.id), 1);
	free(buf);
}

/*
 * A full read proves the blob: later readers of the unchanged file are
 * proven at open. Once the file changes, the mark no longer holds and a
 * full read fails again.
 */
static void test_reader_proven_once(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, *out;
	uint64_t at = 0;
	size_t n;

	deploy(fix, 11, &rec, &buf, &n);
	out = calloc(1, n + 2 * CHUNK);
	assert_non_null(out);
	/* A blob changed a moment ago is not marked (verified.h). */
	usleep(2 * DFS_VERIFIED_SETTLE_MS * 1000);
	r = open_reader(fix, &rec);
	assert_false(dfs_reader_proven(r));
	assert_int_equal(read_all(r, out, n + 2 * CHUNK, &at), 0);
	assert_true(dfs_reader_proven(r));
	dfs_reader_close(r);
	r = open_reader(fix, &rec);
	assert_true(dfs_reader_proven(r));
	assert_int_equal(span_all(r, out, n + 2 * CHUNK, &at), 0);
	assert_memory_equal(out, buf, n);
	dfs_reader_close(r);
	/* The file changes: its ctime moves, and the mark is void. */
	tu_blob_flip(fix, rec.payload_hash, n - 10);
	r = open_reader(fix, &rec);
	assert_false(dfs_reader_proven(r));
	assert_int_equal(read_all(r, out, n + 2 * CHUNK, &at), -EIO);
	dfs_reader_close(r);
	assert_int_equal(tu_audit_count(fix, "payload_corrupt", rec.id), 1);
	/* Put back, it is proven again only by a full read. */
	tu_blob_flip(fix, rec.payload_hash, n - 10);
	r = open_reader(fix, &rec);
	assert_false(dfs_reader_proven(r));
	dfs_reader_close(r);
	free(out);
	free(buf);
}

/* A reader closed in the middle of a read stops its hasher. */
static void test_reader_close_midway(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct dfs_reader *r;
	uint8_t *buf, out[CHUNK];
	size_t n, got;

	deploy(fix, 12, &rec, &buf, &n);
	r = open_reader(fix, &rec);
	assert_int_equal(dfs_reader_read(r, out, CHUNK, 0, &got), 0);
	assert_memory_equal(out, buf, CHUNK);
	dfs_reader_close(r);
	free(buf);
}

/* A blob removed (its payload dropped) loses its mark with its file. */
static void test_reader_proven_dropped(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_verified *v = dfs_blobs_verified(dfs_store_blobs(fix->st));
	struct dfs_record rec;
	struct dfs_reader *r;
	struct dfs_who who;
	uint8_t *buf, *out;
	char path[4096];
	uint64_t at = 0, freed = 0;
	struct stat sb;
	size_t n;

	deploy(fix, 13, &rec, &buf, &n);
	out = calloc(1, n + 2 * CHUNK);
	assert_non_null(out);
	usleep(2 * DFS_VERIFIED_SETTLE_MS * 1000);
	r = open_reader(fix, &rec);
	assert_int_equal(read_all(r, out, n + 2 * CHUNK, &at), 0);
	assert_true(dfs_reader_proven(r));
	dfs_reader_close(r);
	tu_blob_path(fix, rec.payload_hash, path);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(dfs_verified_holds(v, rec.payload_hash, &sb));
	dfs_who_self(&who);
	assert_int_equal(
		dfs_payload_drop(fix->st, rec.id, DFS_DROP_ASKED, &who, &freed),
		0);
	assert_false(tu_blob_file_exists(fix, rec.payload_hash));
	assert_false(dfs_verified_holds(v, rec.payload_hash, &sb));
	free(out);
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reader_read_intact),
		T(test_reader_read_corrupt),
		T(test_reader_read_corrupt_at_once),
		T(test_reader_read_jump_unverified),
		T(test_reader_read_truncated),
		T(test_reader_open_dropped),
		T(test_reader_open_missing_blob),
		T(test_reader_span_intact),
		T(test_reader_span_corrupt),
		T(test_reader_read_reread_corrupt),
		T(test_reader_proven_once),
		T(test_reader_close_midway),
		T(test_reader_proven_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
