/*
 * test_query — listings by project, status and time, and id prefixes,
 * checked against a brute-force filter over every record the test made.
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

#include <cmocka.h>

#include "catalog.h"
#include "deploy.h"
#include "isotime.h"
#include "query.h"
#include "maintutil.h"
#include "testutil.h"
#include "uuid7.h"

#define NRECS	 10000
#define NSEEDS	 2
#define BATCH	 2500
#define SPAN_MS	 (30LL * 86400000)
#define NPROJ	 3
#define PAGE_MAX (NRECS + NSEEDS + 8)

static const char *const projects[NPROJ] = {"web", "api", "db"};

/* What the brute force needs of a record. */
struct mini {
	uint8_t id[16];
	int proj; /* index into projects */
	enum dfs_status status;
	int64_t started_ms;
};

struct corpus {
	struct mini recs[NRECS + NSEEDS]; /* in creation (= id) order */
	size_t n;
};

/* A page as dfs_query_run delivered it. */
struct page {
	uint8_t (*ids)[16];
	size_t n;
	bool bad; /* a record did not match the query */
	const struct dfs_query *q;
};

static uint32_t rnd_state = 20261126;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static int proj_index(const char *name)
{
	for (int i = 0; i < NPROJ; i++)
		if (strcmp(projects[i], name) == 0)
			return i;
	return -1;
}

static void keep(struct corpus *c, const struct dfs_record *rec)
{
	struct mini *m = &c->recs[c->n++];

	memcpy(m->id, rec->id, 16);
	m->proj = proj_index(rec->project);
	m->status = rec->status;
	m->started_ms = rec->started_ms;
}

static void fill_template(struct dfs_record *t,
			  const struct dfs_record seeds[NSEEDS])
{
	const struct dfs_record *s = &seeds[rnd() % NSEEDS];
	uint32_t r = rnd() % 100;

	dfs_record_init(t);
	tu_who(&t->who);
	snprintf(t->project, sizeof(t->project), "%s", projects[rnd() % NPROJ]);
	if (r < 60) {
		t->status = DFS_STATUS_SUCCESS;
		t->has_hash = true;
		memcpy(t->payload_hash, s->payload_hash, 32);
		t->payload_size = t->bytes_received = s->payload_size;
		t->payload_blob_present = true;
		snprintf(t->payload_format, sizeof(t->payload_format), "%s",
			 s->payload_format);
	} else if (r < 85) {
		t->status = DFS_STATUS_FAILED;
		t->bytes_received = 6;
		dfs_record_set_error(t, DFS_ERR_NOT_AN_ARCHIVE,
				     DFS_PHASE_VALIDATE, "synthetic");
	} else {
		t->status = DFS_STATUS_PENDING;
		t->bytes_received = rnd() % 1000;
	}
}

/*
 * Two real deploys, then NRECS batched records at increasing random times
 * over SPAN_MS after them; one in twenty shares its predecessor's ms.
 */
static void fill_store(struct tu_fix *fix, struct corpus *c)
{
	struct dfs_record seeds[NSEEDS], t, out;
	struct dfs_batch *b = NULL;
	int64_t at;
	size_t i;

	for (i = 0; i < NSEEDS; i++) {
		tu_deploy(fix, projects[i], (uint32_t)i + 1, &seeds[i]);
		keep(c, &seeds[i]);
	}
	at = dfs_time_now_ms() + 1;
	for (i = 0; i < NRECS; i++) {
		if (!b)
			assert_int_equal(
				dfs_catalog_batch_begin(
					dfs_store_catalog(fix->st), &b),
				0);
		fill_template(&t, seeds);
		if (rnd() % 20)
			at += 1 + rnd() % (2 * SPAN_MS / NRECS);
		assert_int_equal(dfs_batch_add(b, &t, at, &out), 0);
		assert_int_equal(out.started_ms, at);
		assert_int_equal(out.status, t.status);
		assert_string_equal(out.project, t.project);
		keep(c, &out);
		if ((i + 1) % BATCH == 0) {
			assert_int_equal(dfs_batch_commit(b), 0);
			b = NULL;
		}
	}
	if (b)
		assert_int_equal(dfs_batch_commit(b), 0);
	for (i = 1; i < c->n; i++)
		assert_true(memcmp(c->recs[i - 1].id, c->recs[i].id, 16) < 0);
}

/* The started_ms of the first record at or after @from that ties. */
static int64_t tie_ms(const struct corpus *c, size_t from)
{
	for (size_t i = from; i < c->n; i++)
		if (c->recs[i].started_ms == c->recs[i - 1].started_ms)
			return c->recs[i].started_ms;
	fail_msg("no two records share a millisecond");
	return 0;
}

/* A time strictly between two neighbouring records, at or after @from. */
static int64_t gap_ms(const struct corpus *c, size_t from)
{
	for (size_t i = from; i < c->n; i++)
		if (c->recs[i].started_ms - c->recs[i - 1].started_ms >= 2)
			return c->recs[i - 1].started_ms + 1;
	fail_msg("no gap between records");
	return 0;
}

static bool matches(const struct mini *m, const struct dfs_query *q)
{
	if (q->project &&
	    (m->proj < 0 || strcmp(projects[m->proj], q->project) != 0))
		return false;
	if (q->has_status && m->status != q->status)
		return false;
	if (q->since_ms != DFS_TIME_NONE && m->started_ms < q->since_ms)
		return false;
	if (q->until_ms != DFS_TIME_NONE && m->started_ms > q->until_ms)
		return false;
	return true;
}

static int page_cb(void *arg, const struct dfs_record *rec)
{
	struct page *p = arg;
	struct mini m;

	if (p->n >= PAGE_MAX)
		return -E2BIG;
	memcpy(p->ids[p->n++], rec->id, 16);
	m.proj = proj_index(rec->project);
	m.status = rec->status;
	m.started_ms = rec->started_ms;
	if (!matches(&m, p->q) ||
	    rec->started_ms != (int64_t)dfs_uuid7_ms(rec->id))
		p->bad = true;
	return 0;
}

static void describe(const struct dfs_query *q)
{
	print_error("query: project=%s status=%s since=%lld until=%lld "
		    "limit=%llu offset=%llu\n",
		    q->project ? q->project : "-",
		    q->has_status ? dfs_status_name(q->status) : "-",
		    (long long)q->since_ms, (long long)q->until_ms,
		    (unsigned long long)q->limit,
		    (unsigned long long)q->offset);
}

/* Run @q and compare with @want (all matches, newest first). */
static bool check_page(struct tu_fix *fix, const struct dfs_query *q,
		       const size_t *want, size_t nwant, const struct corpus *c,
		       struct page *p)
{
	uint64_t total = UINT64_MAX;
	size_t first, count, i;
	int rc;

	p->n = 0;
	p->bad = false;
	p->q = q;
	rc = dfs_catalog_query(dfs_store_catalog(fix->st), q, page_cb, p,
			       &total);
	first = q->offset < nwant ? (size_t)q->offset : nwant;
	count = nwant - first;
	if (q->limit && q->limit < count)
		count = (size_t)q->limit;
	if (rc || p->bad || total != nwant || p->n != count) {
		describe(q);
		print_error("rc=%d bad=%d total=%llu (want %zu) page=%zu "
			    "(want %zu)\n",
			    rc, p->bad, (unsigned long long)total, nwant, p->n,
			    count);
		return false;
	}
	for (i = 0; i < count; i++) {
		if (memcmp(p->ids[i], c->recs[want[first + i]].id, 16) != 0) {
			describe(q);
			print_error("entry %zu of the page differs\n", i);
			return false;
		}
	}
	return true;
}

static void test_query_run_matches_brute_force(void **state)
{
	static const uint64_t limits[] = {0, 1, 7, 10000};
	static const uint64_t offsets[] = {0, 3, 9999};
	struct tu_fix *fix = *state;
	struct corpus *c = calloc(1, sizeof(*c));
	size_t *want = malloc((NRECS + NSEEDS) * sizeof(*want));
	struct page p = {.ids = malloc(PAGE_MAX * 16)};
	int64_t since[5], until[5];
	struct dfs_query q;
	size_t nwant, runs = 0;

	assert_non_null(c);
	assert_non_null(want);
	assert_non_null(p.ids);
	fill_store(fix, c);
	/* none, exact (a shared ms), between two records, the ends. */
	since[0] = until[0] = DFS_TIME_NONE;
	since[1] = tie_ms(c, c->n / 3);
	until[1] = tie_ms(c, 2 * c->n / 3);
	since[2] = gap_ms(c, c->n / 2);
	until[2] = gap_ms(c, c->n / 5);
	since[3] = c->recs[c->n - 1].started_ms;
	until[3] = c->recs[0].started_ms;
	since[4] = c->recs[c->n - 1].started_ms + 1;
	until[4] = c->recs[0].started_ms - 1;

	for (int combo = 0; combo < (NPROJ + 2) * (DFS_STATUS_COUNT + 1) * 25;
	     combo++) {
		int pi = combo % (NPROJ + 2) - 1;
		int si = combo / (NPROJ + 2) % (DFS_STATUS_COUNT + 1) - 1;
		int tr = combo / ((NPROJ + 2) * (DFS_STATUS_COUNT + 1));

		dfs_query_init(&q);
		q.project = pi < 0 ? NULL : pi < NPROJ ? projects[pi] : "ghost";
		q.has_status = si >= 0;
		q.status = si >= 0 ? (enum dfs_status)si : DFS_STATUS_PENDING;
		q.since_ms = since[tr % 5];
		q.until_ms = until[tr / 5];
		nwant = 0;
		for (size_t i = c->n; i-- > 0;)
			if (matches(&c->recs[i], &q))
				want[nwant++] = i;
		for (int lo = 0; lo < 12; lo++) {
			q.limit = limits[lo % 4];
			q.offset = offsets[lo / 4];
			assert_true(check_page(fix, &q, want, nwant, c, &p));
			runs++;
		}
	}
	assert_int_equal(runs, 5 * 4 * 5 * 5 * 4 * 3);
	free(p.ids);
	free(want);
	free(c);
}

static int count_cb(void *arg, const struct dfs_record *rec)
{
	(void)rec;
	(*(int *)arg)++;
	return 0;
}

static void test_query_run_bad_project(void **state)
{
	static const char *const bad[] = {"", "../x", "-x", "a/b",
					  ".web.abc123"};
	struct tu_fix *fix = *state;
	uint64_t total = 42;
	struct dfs_query q;
	int calls = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dfs_query_init(&q);
		q.project = bad[i];
		assert_int_equal(dfs_catalog_query(dfs_store_catalog(fix->st),
						   &q, count_cb, &calls,
						   &total),
				 -EINVAL);
	}
	assert_int_equal(calls, 0);
}

static void test_query_run_empty_store(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t total = 42;
	struct dfs_query q;
	int calls = 0;

	dfs_query_init(&q);
	assert_int_equal(dfs_catalog_query(dfs_store_catalog(fix->st), &q,
					   count_cb, &calls, &total),
			 0);
	assert_int_equal(total, 0);
	assert_int_equal(calls, 0);
}

/* @n pending records of "web" started at @at_ms[i]; their ids. */
static void add_at(struct tu_fix *fix, const int64_t *at_ms, size_t n,
		   uint8_t (*ids)[16])
{
	struct dfs_record t, out;
	struct dfs_batch *b;

	dfs_record_init(&t);
	tu_who(&t.who);
	snprintf(t.project, sizeof(t.project), "web");
	assert_int_equal(
		dfs_catalog_batch_begin(dfs_store_catalog(fix->st), &b), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(dfs_batch_add(b, &t, at_ms[i], &out), 0);
		memcpy(ids[i], out.id, 16);
	}
	assert_int_equal(dfs_batch_commit(b), 0);
}

static int stop_cb(void *arg, const struct dfs_record *rec)
{
	(void)rec;
	return ++*(int *)arg == 2 ? 5 : 0;
}

static void test_query_run_stop(void **state)
{
	struct tu_fix *fix = *state;
	int64_t at[4] = {1795730000000, 1795730000001, 1795730000002,
			 1795730000003};
	uint8_t ids[4][16];
	struct dfs_query q;
	int calls = 0;

	add_at(fix, at, 4, ids);
	dfs_query_init(&q);
	assert_int_equal(dfs_catalog_query(dfs_store_catalog(fix->st), &q,
					   stop_cb, &calls, NULL),
			 5);
	assert_int_equal(calls, 2);
}

/* Two ids in one ms (sharing 12 hex digits), one a day later. */
static void three_ids(struct tu_fix *fix, uint8_t ids[3][16], char txt[3][37])
{
	int64_t at[3] = {1795730000000, 1795730000000,
			 1795730000000 + 86400000};

	add_at(fix, at, 3, ids);
	for (int i = 0; i < 3; i++)
		dfs_uuid7_format(ids[i], txt[i]);
	assert_memory_equal(txt[0], txt[1], 13);
}

/* @txt without its dashes, cut to @digits hex digits. */
static void undashed(const char *txt, size_t digits, char *out)
{
	size_t n = 0;

	for (; *txt && n < digits; txt++)
		if (*txt != '-')
			out[n++] = *txt;
	out[n] = '\0';
}

static void test_query_resolve_unique_prefix(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t ids[3][16], got[16];
	char txt[3][37], pre[40];

	three_ids(fix, ids, txt);
	snprintf(pre, sizeof(pre), "%.8s", txt[2]);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), pre, got), 0);
	assert_memory_equal(got, ids[2], 16);
	snprintf(pre, sizeof(pre), "%.16s", txt[2]); /* "xxxxxxxx-xxxx-7x" */
	memset(got, 0, 16);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), pre, got), 0);
	assert_memory_equal(got, ids[2], 16);
	memset(got, 0, 16);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), txt[0], got), 0);
	assert_memory_equal(got, ids[0], 16);
}

static void test_query_resolve_without_dashes(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t ids[3][16], got[16];
	char txt[3][37], pre[40];

	three_ids(fix, ids, txt);
	undashed(txt[2], 14, pre);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), pre, got), 0);
	assert_memory_equal(got, ids[2], 16);
	undashed(txt[1], 32, pre);
	memset(got, 0, 16);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), pre, got), 0);
	assert_memory_equal(got, ids[1], 16);
}

static void test_query_resolve_ambiguous(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t ids[3][16], got[16];
	char txt[3][37], pre[40];

	three_ids(fix, ids, txt);
	memset(got, 0xee, 16);
	snprintf(pre, sizeof(pre), "%.13s", txt[0]); /* 12 hex digits */
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), pre, got),
		-ENOTUNIQ);
	undashed(txt[0], 12, pre);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), pre, got),
		-ENOTUNIQ);
	snprintf(pre, sizeof(pre), "%.4s", txt[0]); /* all three */
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), pre, got),
		-ENOTUNIQ);
	for (int i = 0; i < 16; i++)
		assert_int_equal(got[i], 0xee);
}

static void test_query_resolve_unknown(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t ids[3][16], got[16];
	char txt[3][37];

	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), "0190", got),
		-ENOENT);
	three_ids(fix, ids, txt);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), "ffff", got),
		-ENOENT);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), "0000-", got),
		-ENOENT);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st),
				  "ffffffff-ffff-7fff-bfff-ffffffffffff", got),
		-ENOENT);
}

static void test_query_resolve_not_hex(void **state)
{
	static const char *const bad[] = {"01zz", "g1234", "0190f3c2 ",
					  "0x0190", "0190/3c2"};
	struct tu_fix *fix = *state;
	uint8_t ids[3][16], got[16];
	char txt[3][37];

	three_ids(fix, ids, txt);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dfs_query_resolve(dfs_store_catalog(fix->st),
						   bad[i], got),
				 -EINVAL);
}

static void test_query_resolve_too_short(void **state)
{
	static const char *const bad[] = {"", "0", "019", "01-9", "----"};
	struct tu_fix *fix = *state;
	uint8_t ids[3][16], got[16];
	char txt[3][37];

	three_ids(fix, ids, txt);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dfs_query_resolve(dfs_store_catalog(fix->st),
						   bad[i], got),
				 -EINVAL);
}

static void test_query_parse_name_forms(void **state)
{
	static const char *const bad[] = {
		"@1",
		"web@0",
		"web@01",
		"web@",
		"web@-1",
		"web@1x",
		"a/b@1",
		"web@Current",
		"web@ 1",
		".web@1",
		"web@18446744073709551616",
	};
	char project[DFS_PROJECT_MAX + 1];
	enum dfs_name_kind kind;
	uint64_t v;

	(void)state;
	assert_int_equal(dfs_query_parse_name("web@42", &kind, project, &v), 0);
	assert_int_equal(kind, DFS_NAME_VERSION);
	assert_string_equal(project, "web");
	assert_int_equal(v, 42);
	assert_int_equal(
		dfs_query_parse_name("my.app-2_x@current", &kind, project, &v),
		0);
	assert_int_equal(kind, DFS_NAME_CURRENT);
	assert_string_equal(project, "my.app-2_x");
	assert_int_equal(dfs_query_parse_name("web@latest", &kind, project, &v),
			 0);
	assert_int_equal(kind, DFS_NAME_LATEST);
	assert_int_equal(
		dfs_query_parse_name("0190f3c2-41", &kind, project, &v), 0);
	assert_int_equal(kind, DFS_NAME_PREFIX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dfs_query_parse_name(bad[i], &kind, project, &v) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
}

/* <project>@<N> and @latest through the version index and the project. */
static void test_query_resolve_version_names(void **state)
{
	struct tu_fix *fix = *state;
	uint8_t ids[3][16], got[16];
	char txt[3][37];

	three_ids(fix, ids, txt);
	for (int i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "web@%d", i + 1);
		assert_int_equal(dfs_query_resolve(dfs_store_catalog(fix->st),
						   name, got),
				 0);
		assert_memory_equal(got, ids[i], 16);
	}
	assert_int_equal(dfs_query_resolve(dfs_store_catalog(fix->st),
					   "web@latest", got),
			 0);
	assert_memory_equal(got, ids[2], 16);
	/* Nothing succeeded: no current. */
	assert_int_equal(dfs_query_resolve(dfs_store_catalog(fix->st),
					   "web@current", got),
			 -ENOENT);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), "web@4", got),
		-ENOENT);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), "api@1", got),
		-ENOENT);
	assert_int_equal(dfs_query_resolve(dfs_store_catalog(fix->st),
					   "api@latest", got),
			 -ENOENT);
	assert_int_equal(
		dfs_query_resolve(dfs_store_catalog(fix->st), "web@0", got),
		-EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_query_run_matches_brute_force),
		T(test_query_run_bad_project),
		T(test_query_run_empty_store),
		T(test_query_run_stop),
		T(test_query_resolve_unique_prefix),
		T(test_query_resolve_without_dashes),
		T(test_query_resolve_ambiguous),
		T(test_query_resolve_unknown),
		T(test_query_resolve_not_hex),
		T(test_query_resolve_too_short),
		T(test_query_parse_name_forms),
		T(test_query_resolve_version_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
