/*
 * test_pg_deliveries — fleet delivery in the PostgreSQL catalog: one
 * delivery per (deployment, node) claimed once, settled once, the next
 * deployment to deliver is the current one, those in between are
 * superseded, a past life's pending delivery is interrupted and claimed
 * again, the log lives in the catalog, and the fleet view.
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

#include "catalog_pg.h"
#include "delivery_pg.h"
#include "isotime.h"
#include "pgutil.h"
#include "uuid7.h"

static struct dfs_catalog *host(struct pgt_fix *fix, const char *node)
{
	struct dfs_catalog *cat;
	char *err = NULL;
	int rc;

	rc = dfs_catalog_open_pg(fix->conninfo,
				 DFS_CATALOG_CREATE | DFS_CATALOG_PG_DAEMON,
				 node, &cat, &err);
	if (rc)
		fail_msg("open %s: %s", node, err ? err : "");
	free(err);
	return cat;
}

/* A successful deployment of @project made on @cat. */
static void deploy(struct dfs_catalog *cat, const char *project,
		   struct dfs_record *rec)
{
	struct dfs_project_attr attr = {0, 0, 0644};
	struct dfs_who who;

	dfs_who_self(&who);
	assert_int_equal(dfs_catalog_create(cat, project, &who, &attr, rec), 0);
	rec->status = DFS_STATUS_SUCCESS;
	rec->phase = DFS_PHASE_DONE;
	rec->completed_ms = dfs_time_now_ms();
	rec->has_hash = true;
	memset(rec->payload_hash, rec->version & 0xff, 32);
	rec->payload_size = 10;
	rec->payload_blob_present = true;
	assert_int_equal(dfs_catalog_update(cat, rec, NULL, NULL), 0);
}

static void follow(struct dfs_catalog *cat, const char *project)
{
	assert_int_equal(dfs_delivery_pg_follow(cat, &project, 1), 0);
}

static void settle(struct dfs_catalog *cat, struct dfs_delivery *d,
		   enum dfs_delivery_status st)
{
	d->status = st;
	if (st == DFS_DELIVERY_FAILED) {
		snprintf(d->error.code, sizeof(d->error.code), "hook_failed");
		snprintf(d->error.message, sizeof(d->error.message), "exit 1");
	}
	assert_int_equal(dfs_delivery_pg_settle(cat, d), 0);
}

static void test_delivery_claim_once(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *build = host(fix, "build"),
			   *app = host(fix, "app-1");
	struct dfs_delivery d, again;
	struct dfs_delivery_counts n;
	struct dfs_record rec;

	deploy(build, "web", &rec);
	assert_int_equal(dfs_delivery_pg_claim(app, &rec, &d), 0);
	assert_int_equal(d.status, DFS_DELIVERY_PENDING);
	assert_string_equal(d.node, "app-1");
	assert_int_equal(d.attempts, 1);
	assert_true(d.completed_ms == DFS_TIME_NONE);
	assert_memory_equal(d.payload_hash, rec.payload_hash, 32);
	/* Being delivered: nobody claims it again, not even the node. */
	assert_int_equal(dfs_delivery_pg_claim(app, &rec, &again), -EEXIST);
	assert_int_equal(dfs_delivery_pg_counts(build, rec.id, &n), 0);
	assert_int_equal(n.pending, 1);
	settle(app, &d, DFS_DELIVERY_SUCCESS);
	assert_true(d.completed_ms != DFS_TIME_NONE);
	assert_int_equal(dfs_delivery_pg_claim(app, &rec, &again), -EEXIST);
	/* Settled once: a second settle finds nothing pending. */
	d.status = DFS_DELIVERY_FAILED;
	assert_int_equal(dfs_delivery_pg_settle(app, &d), -ESTALE);
	assert_int_equal(dfs_delivery_pg_counts(build, rec.id, &n), 0);
	assert_int_equal(n.success, 1);
	assert_int_equal(n.pending, 0);
	assert_int_equal(dfs_delivery_pg_get(build, rec.id, "app-1", &again),
			 0);
	assert_int_equal(again.status, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_get(build, rec.id, "app-2", &again),
			 -ENOENT);
	/* Each start and end is an audit event naming the node. */
	assert_string_equal(pgt_value(fix->raw,
				      "SELECT count(*) FROM deployfs.audit "
				      "WHERE convert_from(line, 'UTF8') LIKE "
				      "'%\"action\":\"delivery_%\"node\":"
				      "\"app-1\"%'"),
			    "2");
	dfs_catalog_close(app);
	dfs_catalog_close(build);
}

static void test_delivery_claim_errors(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *app = host(fix, "app-1"), *ctl;
	struct dfs_delivery d;
	struct dfs_record rec;

	deploy(app, "web", &rec);
	/* Without the lease (deployctl): no claim, no follow. */
	assert_int_equal(
		dfs_catalog_open_pg(fix->conninfo, 0, "ctl", &ctl, NULL), 0);
	assert_int_equal(dfs_delivery_pg_claim(ctl, &rec, &d), -EPERM);
	assert_int_equal(dfs_delivery_pg_follow(ctl, NULL, 0), -EPERM);
	/* A deployment that is not there. */
	rec.id[15] ^= 1;
	assert_int_equal(dfs_delivery_pg_claim(app, &rec, &d), -ENOENT);
	/* Names that are no project. */
	const char *bad = "../x";
	assert_int_equal(dfs_delivery_pg_follow(app, &bad, 1), -EINVAL);
	dfs_catalog_close(ctl);
	dfs_catalog_close(app);
}

static void test_delivery_next_is_current(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *build = host(fix, "build"),
			   *app = host(fix, "app-1");
	struct dfs_record r1, r2, r3, r4, other, next;
	struct dfs_delivery d;

	follow(app, "web");
	assert_int_equal(dfs_delivery_pg_next(app, &next), -ENOENT);
	deploy(build, "web", &r1);
	deploy(build, "api", &other); /* not followed */
	assert_int_equal(dfs_delivery_pg_next(app, &next), 0);
	assert_memory_equal(next.id, r1.id, 16);
	assert_int_equal(dfs_delivery_pg_claim(app, &next, &d), 0);
	/* Being delivered: nothing more to do. */
	assert_int_equal(dfs_delivery_pg_next(app, &next), -ENOENT);
	/* Two more arrive while r1 runs: only the newest is next... */
	deploy(build, "web", &r2);
	deploy(build, "web", &r3);
	settle(app, &d, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_next(app, &next), 0);
	assert_memory_equal(next.id, r3.id, 16);
	/* ...and the one in between is superseded, never run. */
	assert_int_equal(dfs_delivery_pg_get(build, r2.id, "app-1", &d), 0);
	assert_int_equal(d.status, DFS_DELIVERY_SUPERSEDED);
	assert_int_equal(dfs_delivery_pg_claim(app, &r2, &d), -EEXIST);
	assert_int_equal(dfs_delivery_pg_claim(app, &next, &d), 0);
	settle(app, &d, DFS_DELIVERY_FAILED);
	/* A failed delivery is settled: not tried again. */
	assert_int_equal(dfs_delivery_pg_next(app, &next), -ENOENT);
	/* follow=*: api too, its current only. */
	const char *all = "*";
	assert_int_equal(dfs_delivery_pg_follow(app, &all, 1), 0);
	assert_int_equal(dfs_delivery_pg_next(app, &next), 0);
	assert_memory_equal(next.id, other.id, 16);
	deploy(build, "web", &r4);
	dfs_catalog_close(app);
	dfs_catalog_close(build);
}

static void test_delivery_interrupted_claimed_again(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *build = host(fix, "build"),
			   *app = host(fix, "app-1");
	struct dfs_record rec, next;
	struct dfs_delivery d;
	unsigned n = 0;

	follow(app, "web");
	deploy(build, "web", &rec);
	assert_int_equal(dfs_delivery_pg_claim(app, &rec, &d), 0);
	/* The follower dies mid-hook; it comes back under a new epoch. */
	dfs_catalog_close(app);
	app = host(fix, "app-1");
	d.status = DFS_DELIVERY_SUCCESS;
	assert_int_equal(dfs_delivery_pg_settle(app, &d), -ESTALE);
	assert_int_equal(dfs_delivery_pg_log(app, rec.id, "x", 1), -ESTALE);
	assert_int_equal(dfs_delivery_pg_recover(app, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(dfs_delivery_pg_get(build, rec.id, "app-1", &d), 0);
	assert_int_equal(d.status, DFS_DELIVERY_INTERRUPTED);
	assert_string_equal(d.error.code, "interrupted");
	assert_int_equal(dfs_delivery_pg_recover(app, &n), 0);
	assert_int_equal(n, 0); /* nothing more */
	/* Interrupted is not delivered: next, and claimed again. */
	assert_int_equal(dfs_delivery_pg_next(app, &next), 0);
	assert_memory_equal(next.id, rec.id, 16);
	assert_int_equal(dfs_delivery_pg_claim(app, &next, &d), 0);
	assert_int_equal(d.attempts, 2);
	assert_string_equal(d.error.code, "");
	settle(app, &d, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_next(app, &next), -ENOENT);
	dfs_catalog_close(app);
	dfs_catalog_close(build);
}

static void test_delivery_log_in_catalog(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *app = host(fix, "app-1"), *ctl;
	struct dfs_record rec;
	struct dfs_delivery d;
	char buf[16];
	size_t got;

	deploy(app, "web", &rec);
	assert_int_equal(dfs_delivery_pg_claim(app, &rec, &d), 0);
	assert_int_equal(dfs_delivery_pg_log(app, rec.id, "ab", 2), 0);
	assert_int_equal(dfs_delivery_pg_log(app, rec.id, "cde", 3), 0);
	/* Read from another session, at any offset. */
	assert_int_equal(
		dfs_catalog_open_pg(fix->conninfo, 0, "ctl", &ctl, NULL), 0);
	assert_int_equal(dfs_delivery_pg_log_read(ctl, rec.id, "app-1", 1, buf,
						  16, &got),
			 0);
	assert_int_equal(got, 4);
	assert_memory_equal(buf, "bcde", 4);
	assert_int_equal(
		dfs_delivery_pg_log_read(ctl, rec.id, "app-1", 1, buf, 2, &got),
		0);
	assert_int_equal(got, 2);
	assert_memory_equal(buf, "bc", 2);
	assert_int_equal(dfs_delivery_pg_log_read(ctl, rec.id, "app-1", 5, buf,
						  16, &got),
			 0);
	assert_int_equal(got, 0);
	assert_int_equal(dfs_delivery_pg_get(ctl, rec.id, "app-1", &d), 0);
	assert_int_equal(d.log_size, 5);
	settle(app, &d, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_log(app, rec.id, "f", 1), -ESTALE);
	dfs_catalog_close(ctl);
	dfs_catalog_close(app);
}

struct seen {
	char nodes[4][32];
	char delivered[4][37];
	char latest[4][16];
	int n;
};

static int see(void *arg, const struct dfs_node_view *v)
{
	struct seen *s = arg;

	snprintf(s->nodes[s->n], 32, "%s", v->node);
	if (v->delivered)
		dfs_uuid7_format(v->delivered->id, s->delivered[s->n]);
	snprintf(s->latest[s->n], 16, "%s",
		 v->latest ? dfs_delivery_status_name(v->latest->status) : "-");
	s->n++;
	return 0;
}

static int count_node(void *arg, const char *node)
{
	(void)node;
	(*(int *)arg)++;
	return 0;
}

static void test_delivery_fleet_view(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *a = host(fix, "app-1"), *b = host(fix, "app-2"),
			   *c = host(fix, "app-3");
	struct dfs_record r1, r2;
	struct dfs_delivery d;
	struct seen s = {0};
	char id1[37];
	int n = 0;

	follow(a, "web");
	follow(b, "*");
	follow(c, "api");
	deploy(a, "web", &r1);
	deploy(a, "web", &r2);
	assert_int_equal(dfs_delivery_pg_followers(a, "web", count_node, &n),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(dfs_delivery_pg_claim(a, &r1, &d), 0);
	settle(a, &d, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_claim(a, &r2, &d), 0);
	settle(a, &d, DFS_DELIVERY_FAILED);
	assert_int_equal(dfs_delivery_pg_nodes(c, "web", see, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.nodes[0], "app-1");
	dfs_uuid7_format(r1.id, id1);
	assert_string_equal(s.delivered[0], id1);
	assert_string_equal(s.latest[0], "failed");
	assert_string_equal(s.nodes[1], "app-2");
	assert_string_equal(s.delivered[1], "");
	assert_string_equal(s.latest[1], "-");
	assert_int_equal(dfs_delivery_pg_nodes(c, "nope", see, &s), -ENOENT);
	dfs_catalog_close(c);
	dfs_catalog_close(b);
	dfs_catalog_close(a);
}

struct numbered {
	unsigned n;
	uint32_t ids[4];
	char nodes[4][DFS_NODE_MAX];
};

static int number(void *arg, uint32_t id, const char *node)
{
	struct numbered *s = arg;

	if (s->n == 4)
		return 1;
	s->ids[s->n] = id;
	snprintf(s->nodes[s->n++], DFS_NODE_MAX, "%s", node);
	return 0;
}

static void test_delivery_node_numbers(void **state)
{
	struct pgt_fix *fix = *state;
	struct dfs_catalog *a = host(fix, "app-1"), *b = host(fix, "app-2");
	struct dfs_delivery d, last;
	struct dfs_record r1, r2;
	struct dfs_project p;
	struct numbered s = {0};
	char name[DFS_NODE_MAX];
	uint32_t ida, idb;

	assert_int_equal(dfs_delivery_pg_node_id(b, "app-1", &ida), 0);
	assert_int_equal(dfs_delivery_pg_node_id(a, "app-2", &idb), 0);
	assert_true(ida < idb);
	assert_int_equal(dfs_delivery_pg_node_name(b, ida, name), 0);
	assert_string_equal(name, "app-1");
	assert_int_equal(dfs_delivery_pg_node_id(a, "nope", &ida), -ENOENT);
	assert_int_equal(dfs_delivery_pg_node_name(a, idb + 1000, name),
			 -ENOENT);
	follow(a, "web");
	follow(b, "web");
	deploy(a, "web", &r1);
	deploy(a, "web", &r2);
	assert_int_equal(dfs_catalog_project_get(a, "web", &p), 0);
	assert_int_equal(dfs_delivery_pg_last(a, "app-1", p.pseq, &last),
			 -ENOENT);
	assert_int_equal(dfs_delivery_pg_claim(a, &r1, &d), 0);
	settle(a, &d, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_claim(a, &r2, &d), 0);
	settle(a, &d, DFS_DELIVERY_FAILED);
	assert_int_equal(dfs_delivery_pg_claim(b, &r1, &d), 0);

	/* Deliveries of r1 in node id order, resumed after a node. */
	assert_int_equal(dfs_delivery_pg_scan_of(b, r1.id, 0, number, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], ida);
	assert_string_equal(s.nodes[0], "app-1");
	assert_int_equal(s.ids[1], idb);
	s.n = 0;
	assert_int_equal(dfs_delivery_pg_scan_of(b, r1.id, ida, number, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.nodes[0], "app-2");
	s.n = 0;
	assert_int_equal(dfs_delivery_pg_scan_of(b, r2.id, 0, number, &s), 0);
	assert_int_equal(s.n, 1);

	/* Who delivered web successfully, and what last: a pending counts not. */
	s.n = 0;
	assert_int_equal(
		dfs_delivery_pg_scan_delivered(b, p.pseq, 0, number, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.nodes[0], "app-1");
	assert_int_equal(dfs_delivery_pg_last(b, "app-1", p.pseq, &last), 0);
	assert_memory_equal(last.id, r1.id, 16);
	assert_int_equal(last.status, DFS_DELIVERY_SUCCESS);
	assert_int_equal(dfs_delivery_pg_last(b, "app-2", p.pseq, &last),
			 -ENOENT);
	settle(b, &d, DFS_DELIVERY_SUCCESS);
	s.n = 0;
	assert_int_equal(
		dfs_delivery_pg_scan_delivered(a, p.pseq, ida, number, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.nodes[0], "app-2");
	dfs_catalog_close(b);
	dfs_catalog_close(a);
}

static void test_delivery_json(void **state)
{
	struct dfs_delivery d = {0};
	char *s;
	size_t len;

	(void)state;
	snprintf(d.node, sizeof(d.node), "app-3");
	snprintf(d.project, sizeof(d.project), "web");
	d.version = 42;
	d.status = DFS_DELIVERY_FAILED;
	d.attempts = 1;
	d.started_ms = 0;
	d.completed_ms = DFS_TIME_NONE;
	snprintf(d.error.code, sizeof(d.error.code), "hook_timeout");
	assert_int_equal(dfs_delivery_json(&d, &s, &len), 0);
	assert_int_equal(len, strlen(s));
	assert_non_null(strstr(s, "\"node\":\"app-3\""));
	assert_non_null(strstr(s, "\"status\":\"failed\""));
	assert_non_null(strstr(s, "\"completed_at\":null"));
	assert_non_null(strstr(s, "\"code\":\"hook_timeout\""));
	assert_true(s[len - 1] == '\n');
	free(s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, pgt_setup, pgt_teardown)
	const struct CMUnitTest tests[] = {
		T(test_delivery_claim_once),
		T(test_delivery_claim_errors),
		T(test_delivery_next_is_current),
		T(test_delivery_interrupted_claimed_again),
		T(test_delivery_log_in_catalog),
		T(test_delivery_fleet_view),
		T(test_delivery_node_numbers),
		cmocka_unit_test(test_delivery_json),
	};
#undef T

	pgt_main_check("test_pg_deliveries");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
