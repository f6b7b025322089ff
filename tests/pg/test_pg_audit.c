/*
 * test_pg_audit — audit.log in PostgreSQL reads as the concatenation of
 * its lines at any offset; offsets are gapless in commit order, with
 * rollbacks and with many writers at once.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg_audit.h"
#include "pgutil.h"

/* A line of @arg bytes (newline included) naming its seq. */
static int make_line(void *arg, uint64_t seq, int64_t time_ms, char **line,
		     size_t *len)
{
	size_t n = (size_t)(uintptr_t)arg;
	char *s = malloc(n + 1);
	int head;

	(void)time_ms;
	if (!s)
		return -ENOMEM;
	head = snprintf(s, n + 1, "{\"seq\":%llu}", (unsigned long long)seq);
	memset(s + head, ' ', n - (size_t)head - 1);
	s[n - 1] = '\n';
	*line = s;
	*len = n;
	return 0;
}

static uint64_t append(struct dfs_pg *pg, size_t n)
{
	uint64_t off;

	assert_int_equal(dfs_pg_begin(pg), 0);
	assert_int_equal(
		dfs_pg_audit_append(pg, make_line, (void *)(uintptr_t)n, &off),
		0);
	assert_int_equal(dfs_pg_commit(pg), 0);
	return off;
}

static void test_pg_audit_read_any_offset(void **state)
{
	struct pgt_fix *fix = *state;
	const size_t lens[] = {20, 33, 17, 40};
	char all[256] = "", buf[256];
	uint64_t size, off = 0;
	size_t got;

	for (int i = 0; i < 4; i++) {
		assert_int_equal(append(fix->pg, lens[i]), off);
		off += lens[i];
	}
	assert_int_equal(dfs_pg_audit_size(fix->pg, &size), 0);
	assert_int_equal(size, 110);
	assert_int_equal(dfs_pg_audit_read(fix->pg, 0, all, sizeof(all), &got),
			 0);
	assert_int_equal(got, 110);
	assert_memory_equal(all, "{\"seq\":1}", 9);
	assert_memory_equal(all + 20, "{\"seq\":2}", 9);
	assert_memory_equal(all + 53, "{\"seq\":3}", 9);
	/* Every offset and length reads the same bytes. */
	for (uint64_t o = 0; o <= 110; o += 7) {
		for (size_t n = 1; n <= 60; n += 11) {
			size_t want = o + n > 110 ? 110 - o : n;

			assert_int_equal(
				dfs_pg_audit_read(fix->pg, o, buf, n, &got), 0);
			assert_int_equal(got, want);
			assert_memory_equal(buf, all + o, want);
		}
	}
	assert_int_equal(dfs_pg_audit_read(fix->pg, 500, buf, 10, &got), 0);
	assert_int_equal(got, 0);
}

static void test_pg_audit_append_outside_txn(void **state)
{
	struct pgt_fix *fix = *state;

	assert_int_equal(dfs_pg_audit_append(fix->pg, make_line,
					     (void *)(uintptr_t)20, NULL),
			 -EINVAL);
}

static void test_pg_audit_rollback_no_gap(void **state)
{
	struct pgt_fix *fix = *state;
	uint64_t off, size;

	append(fix->pg, 20);
	assert_int_equal(dfs_pg_begin(fix->pg), 0);
	assert_int_equal(dfs_pg_audit_append(fix->pg, make_line,
					     (void *)(uintptr_t)30, &off),
			 0);
	assert_int_equal(off, 20);
	dfs_pg_rollback(fix->pg);
	assert_int_equal(append(fix->pg, 25), 20);
	assert_int_equal(dfs_pg_audit_size(fix->pg, &size), 0);
	assert_int_equal(size, 45);
	/* The seqs have no gap either. */
	assert_string_equal(pgt_value(fix->raw, "SELECT string_agg(seq::text, "
						"',' ORDER BY off) FROM "
						"deployfs.audit"),
			    "1,2");
}

struct writer {
	const char *conninfo;
	unsigned salt;
	int rc;
};

static void *write_events(void *arg)
{
	struct writer *w = arg;
	struct dfs_pg *pg;

	w->rc = dfs_pg_open(w->conninfo, &pg);
	for (unsigned i = 0; i < 50 && !w->rc; i++) {
		size_t n = 16 + (i * 7 + w->salt * 13) % 50;

		w->rc = dfs_pg_begin(pg);
		if (!w->rc)
			w->rc = dfs_pg_audit_append(pg, make_line,
						    (void *)(uintptr_t)n, NULL);
		if (!w->rc)
			w->rc = dfs_pg_commit(pg);
	}
	dfs_pg_close(pg);
	return NULL;
}

static void test_pg_audit_concurrent_gapless(void **state)
{
	struct pgt_fix *fix = *state;
	struct writer w[4];
	pthread_t t[4];
	uint64_t size;
	char want[64];

	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct writer){fix->conninfo, i, -1};
		assert_int_equal(
			pthread_create(&t[i], NULL, write_events, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
	}
	/* Each line starts where the one before ended; seqs follow. */
	assert_string_equal(
		pgt_value(
			fix->raw,
			"SELECT count(*) FROM (SELECT off, seq, lag(off + "
			"length(line)) OVER w AS prev_end, lag(seq) OVER w AS "
			"prev_seq FROM deployfs.audit WINDOW w AS (ORDER BY "
			"off)) s WHERE prev_end <> off OR prev_seq + 1 <> seq"),
		"0");
	snprintf(
		want, sizeof(want), "0/200/%s",
		pgt_value(fix->raw, "SELECT end_off FROM deployfs.audit_head"));
	assert_string_equal(
		pgt_value(fix->raw,
			  "SELECT min(off) || '/' || count(*) || '/' || "
			  "sum(length(line)) FROM deployfs.audit"),
		want);
	assert_int_equal(dfs_pg_audit_size(fix->pg, &size), 0);
	assert_int_equal(
		size, strtoull(pgt_value(fix->raw, "SELECT sum(length(line)) "
						   "FROM deployfs.audit"),
			       NULL, 10));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_schema_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_pg_audit_read_any_offset),
		T(test_pg_audit_append_outside_txn),
		T(test_pg_audit_rollback_no_gap),
		T(test_pg_audit_concurrent_gapless),
	};
#undef T

	pgt_main_check("test_pg_audit");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
