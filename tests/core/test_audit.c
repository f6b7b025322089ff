/*
 * test_audit — the audit trail: one event per change, in order, with the
 * actor's identity, readable as bytes of audit.log at any offset.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "payload.h"
#include "audit.h"
#include "catalog.h"
#include "deploy.h"
#include "isotime.h"
#include "testutil.h"
#include "uuid7.h"

#define MAX_EVENTS 64

/* Every event of a scan, lines copied out of the transaction. */
struct events {
	int n;
	int stop_at; /* 0: never */
	struct dfs_event ev[MAX_EVENTS];
	char *lines[MAX_EVENTS];
};

static int collect_cb(void *arg, const struct dfs_event *e)
{
	struct events *es = arg;
	char *line;

	assert_true(es->n < MAX_EVENTS);
	line = malloc(e->len + 1);
	assert_non_null(line);
	memcpy(line, e->line, e->len);
	line[e->len] = '\0';
	es->ev[es->n] = *e;
	es->ev[es->n].line = line;
	es->lines[es->n++] = line;
	return es->stop_at && es->n == es->stop_at ? 9 : 0;
}

static void events_release(struct events *es)
{
	for (int i = 0; i < es->n; i++)
		free(es->lines[i]);
	es->n = 0;
}

static void scan(struct tu_fix *fix, uint64_t from, struct events *es)
{
	memset(es, 0, sizeof(*es));
	assert_int_equal(dfs_catalog_audit_scan(dfs_store_catalog(fix->st),
						from, collect_cb, es),
			 0);
}

/* A real deploy of @n bytes of a tar.gz, or of text when @n is 0. */
static int deploy(struct tu_fix *fix, const char *project, size_t n,
		  struct dfs_record *rec)
{
	static const char text[] = "not an archive at all\n";
	struct dfs_project_attr attr;
	struct dfs_deploy *d;
	struct dfs_who who;
	uint8_t *buf = NULL;
	size_t len = sizeof(text) - 1;
	int rc;

	tu_who(&who);
	tu_attr(&attr, 0644);
	if (n)
		assert_int_equal(tu_targz(n, (uint32_t)n, &buf, &len), 0);
	assert_int_equal(
		dfs_deploy_begin(fix->st, &fix->conf, project, &who, &attr, &d),
		0);
	assert_int_equal(
		dfs_deploy_write(
			d, DFS_SRC_MEM(n ? buf : (const void *)text, len), 0),
		0);
	rc = dfs_deploy_commit(d, NULL, NULL);
	*rec = *dfs_deploy_record(d);
	dfs_deploy_free(d);
	free(buf);
	return rc;
}

static void assert_event(const struct dfs_event *e,
			 const struct dfs_record *rec, const char *action,
			 enum dfs_status status)
{
	assert_string_equal(e->action, action);
	assert_memory_equal(e->id, rec->id, 16);
	assert_string_equal(e->project, rec->project);
	assert_int_equal(e->status, status);
}

static void assert_tu_who(const struct dfs_who *who)
{
	struct dfs_who want;

	tu_who(&want);
	assert_int_equal(who->uid, want.uid);
	assert_int_equal(who->pid, want.pid);
	assert_string_equal(who->user, want.user);
	assert_string_equal(who->command, want.command);
}

/* Three deployments: web success, api failed, web success. */
static void scenario(struct tu_fix *fix)
{
	struct dfs_record rec;

	assert_int_equal(deploy(fix, "web", 300, &rec), 0);
	assert_int_equal(deploy(fix, "api", 0, &rec), -EBADMSG);
	assert_int_equal(deploy(fix, "web", 700, &rec), 0);
}

static void test_audit_scan_created_succeeded(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct events es;
	int64_t before, after;

	before = dfs_time_now_ms();
	assert_int_equal(deploy(fix, "web", 1000, &rec), 0);
	after = dfs_time_now_ms();
	scan(fix, 0, &es);
	assert_int_equal(es.n, 2);
	assert_event(&es.ev[0], &rec, "created", DFS_STATUS_PENDING);
	assert_event(&es.ev[1], &rec, "succeeded", DFS_STATUS_SUCCESS);
	for (int i = 0; i < 2; i++) {
		assert_tu_who(&es.ev[i].who);
		assert_true(es.ev[i].time_ms >= before);
		assert_true(es.ev[i].time_ms <= after);
	}
	events_release(&es);
}

static void test_audit_scan_failed(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_record rec;
	struct events es;

	assert_int_equal(deploy(fix, "api", 0, &rec), -EBADMSG);
	scan(fix, 0, &es);
	assert_int_equal(es.n, 2);
	assert_event(&es.ev[0], &rec, "created", DFS_STATUS_PENDING);
	assert_event(&es.ev[1], &rec, "failed", DFS_STATUS_FAILED);
	assert_tu_who(&es.ev[1].who);
	events_release(&es);
}

static void test_audit_scan_interrupted(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	struct dfs_record rec;
	struct dfs_who who;
	struct events es;
	unsigned n = 0;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(fix->st), "web",
					    &who, &attr, &rec),
			 0);
	/* The daemon dies with the record pending, then restarts. */
	assert_int_equal(tu_reopen(fix, DFS_STORE_EXCLUSIVE, 0), 0);
	assert_int_equal(tu_recover(fix->st, &n), 0);
	assert_int_equal(n, 1);
	scan(fix, 0, &es);
	assert_int_equal(es.n, 2);
	assert_event(&es.ev[0], &rec, "created", DFS_STATUS_PENDING);
	assert_event(&es.ev[1], &rec, "interrupted", DFS_STATUS_FAILED);
	events_release(&es);
}

static void test_audit_scan_payload_dropped(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_who actor = {.uid = 0, .gid = 0, .pid = 77};
	struct dfs_record rec;
	struct events es;
	uint64_t freed = 0;

	snprintf(actor.user, sizeof(actor.user), "root");
	snprintf(actor.command, sizeof(actor.command),
		 "deployctl drop-payload 0190");
	assert_int_equal(deploy(fix, "web", 1000, &rec), 0);
	assert_int_equal(dfs_payload_drop(fix->st, rec.id, DFS_DROP_ASKED,
					  &actor, &freed),
			 0);
	scan(fix, 0, &es);
	assert_int_equal(es.n, 3);
	assert_event(&es.ev[2], &rec, "payload_dropped", DFS_STATUS_SUCCESS);
	assert_int_equal(es.ev[2].who.uid, 0);
	assert_int_equal(es.ev[2].who.pid, 77);
	assert_string_equal(es.ev[2].who.user, "root");
	assert_string_equal(es.ev[2].who.command,
			    "deployctl drop-payload 0190");
	/* The deployer's events keep the deployer. */
	assert_tu_who(&es.ev[0].who);
	events_release(&es);
}

static void test_audit_scan_seq_increasing(void **state)
{
	struct tu_fix *fix = *state;
	struct events es;

	scenario(fix);
	scan(fix, 0, &es);
	assert_int_equal(es.n, 6);
	for (int i = 1; i < es.n; i++) {
		assert_true(es.ev[i].seq > es.ev[i - 1].seq);
		assert_true(es.ev[i].off > es.ev[i - 1].off);
	}
	events_release(&es);
}

static void test_audit_size_sum_of_lines(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t size = 99, sum = 0;
	struct events es;

	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size), 0);
	assert_int_equal(size, 0);
	scenario(fix);
	scan(fix, 0, &es);
	for (int i = 0; i < es.n; i++) {
		assert_int_equal(es.ev[i].off, sum);
		assert_int_equal(es.ev[i].len, strlen(es.lines[i]));
		sum += es.ev[i].len;
	}
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size), 0);
	assert_int_equal(size, sum);
	events_release(&es);
}

/* The concatenation of every line, as audit.log must read. */
static char *concat(struct tu_fix *fix, size_t *len)
{
	struct events es;
	char *all;
	size_t n = 0;

	scan(fix, 0, &es);
	for (int i = 0; i < es.n; i++)
		n += es.ev[i].len;
	all = malloc(n + 1);
	assert_non_null(all);
	n = 0;
	for (int i = 0; i < es.n; i++) {
		memcpy(all + n, es.lines[i], es.ev[i].len);
		n += es.ev[i].len;
	}
	events_release(&es);
	*len = n;
	return all;
}

static void test_audit_read_any_offset(void **state)
{
	static const size_t sizes[] = {1, 7, 100, 4096};
	struct tu_fix *fix = *state;
	char *all, buf[4096];
	size_t len, got;
	uint64_t size;

	scenario(fix);
	all = concat(fix, &len);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size), 0);
	assert_int_equal(size, len);
	for (size_t off = 0; off < len; off++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t want =
				len - off < sizes[i] ? len - off : sizes[i];

			got = 0;
			assert_int_equal(dfs_catalog_audit_read(
						 dfs_store_catalog(fix->st),
						 off, buf, sizes[i], &got),
					 0);
			assert_int_equal(got, want);
			assert_memory_equal(buf, all + off, want);
		}
	}
	free(all);
}

static void test_audit_read_whole(void **state)
{
	struct tu_fix *fix = *state;
	char *all, *buf;
	size_t len, got = 0;

	scenario(fix);
	all = concat(fix, &len);
	buf = malloc(len + 100);
	assert_non_null(buf);
	assert_int_equal(dfs_catalog_audit_read(dfs_store_catalog(fix->st), 0,
						buf, len + 100, &got),
			 0);
	assert_int_equal(got, len);
	assert_memory_equal(buf, all, len);
	free(buf);
	free(all);
}

static void test_audit_read_at_end(void **state)
{
	struct tu_fix *fix = *state;
	uint64_t size, offs[3];
	size_t got;
	char buf[64];

	got = 5;
	assert_int_equal(dfs_catalog_audit_read(dfs_store_catalog(fix->st), 0,
						buf, sizeof(buf), &got),
			 0);
	assert_int_equal(got, 0);
	scenario(fix);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size), 0);
	offs[0] = size;
	offs[1] = size + 1;
	offs[2] = size + 100000;
	for (int i = 0; i < 3; i++) {
		got = 5;
		assert_int_equal(
			dfs_catalog_audit_read(dfs_store_catalog(fix->st),
					       offs[i], buf, sizeof(buf), &got),
			0);
		assert_int_equal(got, 0);
	}
}

static void test_audit_scan_lines_json(void **state)
{
	struct tu_fix *fix = *state;
	json_error_t jerr;
	struct events es;
	char idstr[37];
	json_t *o;

	scenario(fix);
	scan(fix, 0, &es);
	assert_int_equal(es.n, 6);
	for (int i = 0; i < es.n; i++) {
		const char *line = es.lines[i];
		size_t len = es.ev[i].len;

		assert_true(len > 2);
		assert_int_equal(line[len - 1], '\n');
		assert_null(memchr(line, '\n', len - 1));
		o = json_loadb(line, len, 0, &jerr);
		if (!o)
			fail_msg("line %d: %s", i, jerr.text);
		assert_true(json_is_object(o));
		assert_int_equal(json_integer_value(json_object_get(o, "seq")),
				 es.ev[i].seq);
		assert_string_equal(
			json_string_value(json_object_get(o, "action")),
			es.ev[i].action);
		dfs_uuid7_format(es.ev[i].id, idstr);
		assert_string_equal(
			json_string_value(json_object_get(o, "deployment_id")),
			idstr);
		assert_string_equal(
			json_string_value(json_object_get(o, "status")),
			dfs_status_name(es.ev[i].status));
		assert_non_null(json_object_get(o, "time"));
		assert_non_null(json_object_get(o, "project"));
		assert_non_null(json_object_get(o, "uid"));
		assert_non_null(json_object_get(o, "user"));
		assert_non_null(json_object_get(o, "pid"));
		assert_non_null(json_object_get(o, "command"));
		json_decref(o);
	}
	events_release(&es);
}

static void test_audit_size_progress_unchanged(void **state)
{
	struct tu_fix *fix = *state;
	struct dfs_project_attr attr;
	uint64_t before, after;
	struct dfs_record rec;
	struct dfs_who who;
	struct events es;

	tu_who(&who);
	tu_attr(&attr, 0644);
	assert_int_equal(dfs_catalog_create(dfs_store_catalog(fix->st), "web",
					    &who, &attr, &rec),
			 0);
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &before), 0);
	for (uint64_t b = 4096; b <= 65536; b *= 2) {
		rec.bytes_received = b;
		assert_int_equal(dfs_catalog_update(dfs_store_catalog(fix->st),
						    &rec, NULL, NULL),
				 0);
	}
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &after), 0);
	assert_int_equal(after, before);
	scan(fix, 0, &es);
	assert_int_equal(es.n, 1);
	assert_string_equal(es.ev[0].action, "created");
	events_release(&es);
}

static void test_audit_scan_from_offset(void **state)
{
	struct tu_fix *fix = *state;
	struct events all, es;
	uint64_t size;

	scenario(fix);
	scan(fix, 0, &all);
	for (int k = 0; k < all.n; k++) {
		/* At a line's start: that event first. */
		scan(fix, all.ev[k].off, &es);
		assert_int_equal(es.n, all.n - k);
		assert_int_equal(es.ev[0].seq, all.ev[k].seq);
		assert_int_equal(es.ev[0].off, all.ev[k].off);
		events_release(&es);
		/* Inside a line: the next one. */
		scan(fix, all.ev[k].off + all.ev[k].len / 2, &es);
		assert_int_equal(es.n, all.n - k - 1);
		if (es.n)
			assert_int_equal(es.ev[0].seq, all.ev[k + 1].seq);
		events_release(&es);
	}
	assert_int_equal(
		dfs_catalog_audit_size(dfs_store_catalog(fix->st), &size), 0);
	scan(fix, size, &es);
	assert_int_equal(es.n, 0);
	scan(fix, size + 1000, &es);
	assert_int_equal(es.n, 0);
	events_release(&all);
}

static void test_audit_scan_stop(void **state)
{
	struct tu_fix *fix = *state;
	struct events es;

	scenario(fix);
	memset(&es, 0, sizeof(es));
	es.stop_at = 2;
	assert_int_equal(dfs_catalog_audit_scan(dfs_store_catalog(fix->st), 0,
						collect_cb, &es),
			 9);
	assert_int_equal(es.n, 2);
	events_release(&es);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_audit_scan_created_succeeded),
		T(test_audit_scan_failed),
		T(test_audit_scan_interrupted),
		T(test_audit_scan_payload_dropped),
		T(test_audit_scan_seq_increasing),
		T(test_audit_size_sum_of_lines),
		T(test_audit_read_any_offset),
		T(test_audit_read_whole),
		T(test_audit_read_at_end),
		T(test_audit_scan_lines_json),
		T(test_audit_size_progress_unchanged),
		T(test_audit_scan_from_offset),
		T(test_audit_scan_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
