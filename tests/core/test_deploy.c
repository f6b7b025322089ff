/*
 * test_deploy — one deployment from pending to success or failed: hash,
 * check, blob store, references, the project's current, and cleanup.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "archutil.h"
#include "blobs.h"
#include "deploy.h"
#include "isotime.h"
#include "testutil.h"

/* 2026-11-26T21:53:20.250000007Z: the writer's mtime, nanoseconds kept. */
static const struct timespec mtime_ts = {1795730000, 250000007};
#define MTIME_MS 1795730000250LL
#define MTIME_NS 7

static struct dfs_deploy *begin(struct tu_fix *fix, const char *project)
{
	struct dfs_project_attr attr;
	struct dfs_deploy *d = NULL;
	struct dfs_who who;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, project, &who, &attr, &d),
		0);
	assert_non_null(d);
	return d;
}

/* Write @buf in uneven chunks, in order. */
static void write_all(struct dfs_deploy *d, const uint8_t *buf, size_t n)
{
	size_t off = 0, chunk;

	while (off < n) {
		chunk = n - off < 40000 ? n - off : 40000;
		assert_int_equal(
			dfs_deploy_write(d, DFS_SRC_MEM(buf + off, chunk), off),
			0);
		off += chunk;
	}
	assert_int_equal(dfs_deploy_size(d), n);
}

/* A whole successful deploy of @buf; its record into @rec. */
static void deploy_ok(struct tu_fix *fix, const char *project,
		      const uint8_t *buf, size_t n, struct dfs_record *rec)
{
	struct dfs_deploy *d = begin(fix, project);

	write_all(d, buf, n);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), 0);
	*rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);
}

static void assert_blob_is(struct tu_fix *fix, const uint8_t hash[32],
			   const uint8_t *want, size_t n)
{
	uint8_t *buf = malloc(n + 1);
	ssize_t got;
	size_t total = 0;
	int fd = -1;

	assert_non_null(buf);
	assert_int_equal(dfs_blobs_open(dfs_store_blobs(fix->st), hash, &fd),
			 0);
	while ((got = pread(fd, buf + total, n + 1 - total, (off_t)total)) > 0)
		total += (size_t)got;
	close(fd);
	assert_int_equal(total, n);
	assert_memory_equal(buf, want, n);
	free(buf);
}

static void test_deploy_begin_pending(void **state)
{
	struct tu_fix *fix = *state;
	const struct dfs_record *rec;
	struct dfs_record back;
	struct dfs_deploy *d;
	uint8_t id[16];

	d = begin(fix, "web");
	rec = dfs_deploy_record(d);
	assert_int_equal(rec->status, DFS_STATUS_PENDING);
	assert_int_equal(rec->phase, DFS_PHASE_UPLOAD);
	assert_string_equal(rec->project, "web");
	assert_false(dfs_deploy_settled(d));
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec->id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_PENDING);
	assert_int_equal(
		dfs_catalog_latest(dfs_store_catalog(fix->st), "web", id), 0);
	assert_memory_equal(id, rec->id, 16);
	assert_int_equal(dfs_deploy_size(d), 0);
	dfs_deploy_free(d);
}

static void test_deploy_begin_bad_name(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_deploy *d = NULL;
	struct dfs_who who;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_deploy_begin(fix->st, &fix->conf, "../etc", &who,
					  &attr, &d),
			 -EINVAL);
	assert_int_equal(dfs_deploy_begin(fix->st, &fix->conf, ".web.abc123",
					  &who, &attr, &d),
			 -EINVAL);
	assert_null(d);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_ALL, NULL),
			 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_deploy_commit_success(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	struct dfs_project p;
	uint8_t *buf, hash[32];
	struct dfs_deploy *d;
	uint64_t refs = 0;
	size_t n;

	assert_int_equal(tu_targz(300000, 1, &buf, &n), 0);
	tu_sha256(buf, n, hash);
	d = begin(fix, "web");
	write_all(d, buf, n);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), 0);
	assert_true(dfs_deploy_settled(d));
	rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);

	assert_int_equal(rec.status, DFS_STATUS_SUCCESS);
	assert_int_equal(rec.phase, DFS_PHASE_DONE);
	assert_true(rec.completed_ms != DFS_TIME_NONE);
	assert_true(rec.completed_ms >= rec.started_ms);
	assert_true(rec.has_hash);
	assert_memory_equal(rec.payload_hash, hash, 32);
	assert_int_equal(rec.payload_size, n);
	assert_int_equal(rec.bytes_received, n);
	assert_string_equal(rec.payload_format, "tar+gzip");
	assert_true(rec.payload_blob_present);
	assert_int_equal(rec.source_mtime_ms, MTIME_MS);
	assert_int_equal(rec.source_mtime_ns, MTIME_NS);
	assert_string_equal(rec.error.code, "");

	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_SUCCESS);
	assert_memory_equal(back.payload_hash, hash, 32);
	assert_int_equal(
		dfs_catalog_blob_refs(dfs_store_catalog(fix->st), hash, &refs),
		0);
	assert_int_equal(refs, 1);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_true(p.has_current);
	assert_memory_equal(p.current, rec.id, 16);
	assert_true(dfs_blobs_exists(dfs_store_blobs(fix->st), hash));
	assert_blob_is(fix, hash, buf, n);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	free(buf);
}

static void test_deploy_commit_plain_tar(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[5000], hash[32];
	struct dfs_record rec;

	tu_tar(buf, sizeof(buf), 2);
	tu_sha256(buf, sizeof(buf), hash);
	deploy_ok(fix, "web", buf, sizeof(buf), &rec);
	assert_int_equal(rec.status, DFS_STATUS_SUCCESS);
	assert_memory_equal(rec.payload_hash, hash, 32);
	assert_string_equal(rec.payload_format, "tar");
	assert_true(rec.checked);
	assert_int_equal(rec.entries, 1);
}

/* The gzip magic, then noise: the full check reads past the magic. */
static void test_deploy_commit_gzip_magic_only(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[5000], hash[32];
	struct dfs_record rec;
	struct dfs_deploy *d;
	struct dfs_project p;

	tu_gzip_magic(buf, sizeof(buf), 2);
	tu_sha256(buf, sizeof(buf), hash);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), -EBADMSG);
	rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);
	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_true(!strcmp(rec.error.code, "corrupt_archive") ||
		    !strcmp(rec.error.code, "truncated_archive") ||
		    !strcmp(rec.error.code, "not_an_archive"));
	assert_memory_equal(rec.payload_hash, hash, 32);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_false(p.has_current);
}

static void test_deploy_commit_not_archive(void **state)
{
	const char *text = "this is not a tarball\n";
	struct tu_fix *fix = *state;
	struct dfs_record rec, back;
	struct dfs_deploy *d;
	struct dfs_project p;

	d = begin(fix, "web");
	assert_int_equal(
		dfs_deploy_write(d, DFS_SRC_MEM(text, strlen(text)), 0), 0);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), -EBADMSG);
	assert_true(dfs_deploy_settled(d));
	rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);

	assert_int_equal(rec.status, DFS_STATUS_FAILED);
	assert_string_equal(rec.error.code, "not_an_archive");
	assert_int_equal(rec.error.phase, DFS_PHASE_VALIDATE);
	assert_true(rec.completed_ms != DFS_TIME_NONE);
	assert_int_equal(
		dfs_catalog_get(dfs_store_catalog(fix->st), rec.id, &back), 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "not_an_archive");
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_false(p.has_current);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_deploy_commit_empty(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d;

	d = begin(fix, "web");
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), -EBADMSG);
	assert_int_equal(dfs_deploy_record(d)->status, DFS_STATUS_FAILED);
	dfs_deploy_free(d);
}

static void test_deploy_commit_twice_same_result(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[3000];
	struct dfs_deploy *d, *bad;
	long n;

	tu_tar(buf, sizeof(buf), 3);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), 0);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), 0);
	dfs_deploy_free(d);

	bad = begin(fix, "web");
	assert_int_equal(dfs_deploy_write(bad, DFS_SRC_MEM("nope", 4), 0), 0);
	assert_int_equal(dfs_deploy_commit(bad, &mtime_ts, NULL), -EBADMSG);
	assert_int_equal(dfs_deploy_commit(bad, &mtime_ts, NULL), -EBADMSG);
	dfs_deploy_free(bad);

	n = tu_count_records(dfs_store_catalog(fix->st), DFS_SCAN_ALL, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "success"),
			 1);
}

static void test_deploy_write_after_failure(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d;
	int rc;

	d = begin(fix, "web");
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM("nope", 4), 0), 0);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), -EBADMSG);
	rc = dfs_deploy_write(d, DFS_SRC_MEM("more", 4), 4);
	assert_true(rc == -EBADMSG || rc == -EBADF);
	dfs_deploy_free(d);
}

static void test_deploy_commit_dedup(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record a, b;
	struct dfs_project p;
	uint64_t refs = 0;
	uint8_t *buf;
	size_t n;

	assert_int_equal(tu_targz(50000, 4, &buf, &n), 0);
	deploy_ok(fix, "web", buf, n, &a);
	deploy_ok(fix, "web", buf, n, &b);
	assert_memory_equal(a.payload_hash, b.payload_hash, 32);
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       a.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 2);
	assert_int_equal(tu_count_blobs(fix->dir), 1);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_memory_equal(p.current, b.id, 16);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	free(buf);
}

static void test_deploy_commit_distinct_payloads(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t x[3000], y[3000];
	struct dfs_record a, b;
	uint64_t refs = 0;

	tu_tar(x, sizeof(x), 5);
	tu_tar(y, sizeof(y), 6);
	deploy_ok(fix, "web", x, sizeof(x), &a);
	deploy_ok(fix, "api", y, sizeof(y), &b);
	assert_int_equal(tu_count_blobs(fix->dir), 2);
	assert_int_equal(dfs_catalog_blob_refs(dfs_store_catalog(fix->st),
					       b.payload_hash, &refs),
			 0);
	assert_int_equal(refs, 1);
}

static void test_deploy_commit_current_skips_failed(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record good;
	struct dfs_deploy *d;
	struct dfs_project p;
	uint8_t buf[2048], id[16];

	tu_tar(buf, sizeof(buf), 7);
	deploy_ok(fix, "web", buf, sizeof(buf), &good);
	d = begin(fix, "web");
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM("broken", 6), 0), 0);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), -EBADMSG);
	assert_int_equal(
		dfs_catalog_latest(dfs_store_catalog(fix->st), "web", id), 0);
	assert_memory_equal(id, dfs_deploy_record(d)->id, 16);
	dfs_deploy_free(d);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_memory_equal(p.current, good.id, 16);
}

static void test_deploy_commit_mtime_now(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d;
	uint8_t buf[2048];
	int64_t before, after, got;

	tu_tar(buf, sizeof(buf), 8);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	before = dfs_time_now_ms();
	assert_int_equal(dfs_deploy_commit(d, NULL, NULL), 0);
	after = dfs_time_now_ms();
	got = dfs_deploy_record(d)->source_mtime_ms;
	assert_true(got >= before && got <= after);
	dfs_deploy_free(d);
}

static void test_deploy_commit_attr(void **state)
{
	struct dfs_project_attr attr = {.uid = 7, .gid = 8, .mode = 0640};
	struct tu_fix *fix = *state;
	struct dfs_deploy *d;
	struct dfs_project p;
	uint8_t buf[2048];

	d = begin(fix, "web");
	assert_int_equal(dfs_deploy_write(d, DFS_SRC_MEM("nope", 4), 0), 0);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, &attr), -EBADMSG);
	dfs_deploy_free(d);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.mode & 07777, 0644);

	tu_tar(buf, sizeof(buf), 9);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, &attr), 0);
	dfs_deploy_free(d);
	assert_int_equal(
		dfs_catalog_project_get(dfs_store_catalog(fix->st), "web", &p),
		0);
	assert_int_equal(p.uid, 7);
	assert_int_equal(p.gid, 8);
	assert_int_equal(p.mode & 07777, 0640);
}

static void test_deploy_seed_then_write(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[20000], want[32], head[8];
	struct dfs_record first, rec;
	struct dfs_deploy *d;
	size_t got = 0;

	/* Plain tar: bytes changed in the file's data keep it valid. */
	tu_tar(buf, sizeof(buf), 10);
	deploy_ok(fix, "web", buf, sizeof(buf), &first);
	d = begin(fix, "web");
	assert_int_equal(dfs_deploy_seed(d, first.payload_hash), 0);
	assert_int_equal(dfs_deploy_size(d), sizeof(buf));
	assert_int_equal(dfs_deploy_read(d, head, 8, 0, &got), 0);
	assert_int_equal(got, 8);
	assert_memory_equal(head, buf, 8);
	assert_int_equal(
		dfs_deploy_write(d, DFS_SRC_MEM("ABCD", 4), TU_TAR_DATA + 100),
		0);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), 0);
	rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);

	memcpy(buf + TU_TAR_DATA + 100, "ABCD", 4);
	tu_sha256(buf, sizeof(buf), want);
	assert_memory_equal(rec.payload_hash, want, 32);
	assert_int_equal(rec.payload_size, sizeof(buf));
	assert_blob_is(fix, want, buf, sizeof(buf));
}

static void test_deploy_seed_unknown(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_deploy *d;
	uint8_t hash[32];

	tu_fill(hash, sizeof(hash), 11);
	d = begin(fix, "web");
	assert_int_equal(dfs_deploy_seed(d, hash), -ENOENT);
	dfs_deploy_free(d);
}

static void test_deploy_truncate(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[10000], want[32];
	struct dfs_deploy *d;

	/* A tar of 5000 bytes, then bytes the truncate cuts off. */
	tu_tar(buf, 5000, 12);
	tu_fill(buf + 5000, sizeof(buf) - 5000, 12);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	assert_int_equal(dfs_deploy_truncate(d, 5000), 0);
	assert_int_equal(dfs_deploy_size(d), 5000);
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), 0);
	tu_sha256(buf, 5000, want);
	assert_memory_equal(dfs_deploy_record(d)->payload_hash, want, 32);
	assert_int_equal(dfs_deploy_record(d)->payload_size, 5000);
	dfs_deploy_free(d);
}

static void test_deploy_read_back(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t buf[9000], back[9000];
	struct dfs_deploy *d;
	size_t got = 0;

	tu_tar(buf, sizeof(buf), 13);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	assert_int_equal(dfs_deploy_read(d, back, sizeof(back), 0, &got), 0);
	assert_int_equal(got, sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
	dfs_deploy_free(d);
}

static void test_deploy_abort_unsettled(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record back;
	struct dfs_deploy *d;
	uint8_t buf[4000], id[16];

	tu_tar(buf, sizeof(buf), 14);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	memcpy(id, dfs_deploy_record(d)->id, 16);
	assert_true(tu_count_tmp(fix->dir) >= 1);
	dfs_deploy_abort(d);
	assert_int_equal(dfs_catalog_get(dfs_store_catalog(fix->st), id, &back),
			 0);
	assert_int_equal(back.status, DFS_STATUS_FAILED);
	assert_string_equal(back.error.code, "aborted");
	assert_true(back.completed_ms != DFS_TIME_NONE);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
}

static void test_deploy_write_efbig_fails(void **state)
{
	struct tu_fix *fix = *state;
	struct rlimit old, lim;
	uint8_t buf[65536];
	struct dfs_deploy *d;
	void (*oldsig)(int);
	size_t off;
	int rc = 0;

	tu_fill(buf, sizeof(buf), 15);
	d = begin(fix, "web");
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1 << 20;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (off = 0; off < (2u << 20) && !rc; off += sizeof(buf))
		rc = dfs_deploy_write(d, DFS_SRC_MEM(buf, sizeof(buf)), off);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);

	assert_int_equal(rc, -EFBIG);
	assert_true(dfs_deploy_commit(d, &mtime_ts, NULL) < 0);
	assert_int_equal(dfs_deploy_record(d)->status, DFS_STATUS_FAILED);
	assert_true(strlen(dfs_deploy_record(d)->error.code) > 0);
	dfs_deploy_free(d);
	assert_int_equal(tu_count_tmp(fix->dir), 0);
	assert_int_equal(tu_count_blobs(fix->dir), 0);
}

static void test_deploy_commit_map_full(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_deploy *d;
	struct dfs_who who;
	uint8_t buf[2048];
	unsigned n = 0;
	uint32_t i;
	int rc = 0;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_store_open(fix->dir,
					DFS_STORE_CREATE | DFS_STORE_EXCLUSIVE,
					256u << 10, &fix->st),
			 0);
	for (i = 0; i < 100000 && !rc; i++) {
		d = NULL;
		rc = dfs_deploy_begin(fix->st, &fix->conf, "web", &who, &attr,
				      &d);
		if (rc) {
			assert_null(d);
			break;
		}
		tu_tar(buf, sizeof(buf), i);
		rc = dfs_deploy_write(d, DFS_SRC_MEM(buf, sizeof(buf)), 0);
		if (!rc)
			rc = dfs_deploy_commit(d, &mtime_ts, NULL);
		dfs_deploy_free(d);
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(tu_count_records(dfs_store_catalog(fix->st),
				     DFS_SCAN_STATUS, "success") > 0);
	assert_int_equal(tu_count_tmp(fix->dir), 0);

	/* The daemon restarts with room to spare: recovery, then deploys. */
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(tu_recover(fix->st, &n), 0);
	assert_int_equal(tu_count_records(dfs_store_catalog(fix->st),
					  DFS_SCAN_STATUS, "pending"),
			 0);
	tu_tar(buf, sizeof(buf), 0xffff);
	d = begin(fix, "web");
	write_all(d, buf, sizeof(buf));
	assert_int_equal(dfs_deploy_commit(d, &mtime_ts, NULL), 0);
	dfs_deploy_free(d);
}

/* The header leaves the errno's sign open: accept either. */
static void assert_errcode(int err, const char *want)
{
	const char *a = dfs_errcode_name(dfs_deploy_errcode(err));
	const char *b = dfs_errcode_name(dfs_deploy_errcode(-err));

	assert_true(!strcmp(a, want) || !strcmp(b, want));
}

static void test_deploy_errcode_names(void **state)
{
	(void)state;
	assert_errcode(ENOSPC, "no_space");
	assert_errcode(EIO, "io_error");
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_deploy_begin_pending),
		T(test_deploy_begin_bad_name),
		T(test_deploy_commit_success),
		T(test_deploy_commit_plain_tar),
		T(test_deploy_commit_gzip_magic_only),
		T(test_deploy_commit_not_archive),
		T(test_deploy_commit_empty),
		T(test_deploy_commit_twice_same_result),
		T(test_deploy_write_after_failure),
		T(test_deploy_commit_dedup),
		T(test_deploy_commit_distinct_payloads),
		T(test_deploy_commit_current_skips_failed),
		T(test_deploy_commit_mtime_now),
		T(test_deploy_commit_attr),
		T(test_deploy_seed_then_write),
		T(test_deploy_seed_unknown),
		T(test_deploy_truncate),
		T(test_deploy_read_back),
		T(test_deploy_abort_unsettled),
		T(test_deploy_write_efbig_fails),
		cmocka_unit_test_setup_teardown(test_deploy_commit_map_full,
						tu_dir_setup, tu_teardown),
		cmocka_unit_test(test_deploy_errcode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
