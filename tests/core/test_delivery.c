/*
 * test_delivery — a delivery's lines: deliveries/<node>.json and its
 * audit.log event, each one line of JSON ending in a newline; that JSON
 * and a fleet view line read back (deployctl reads them through a
 * mount), and what is refused.
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

#include "audit.h"
#include "delivery.h"
#include "isotime.h"

static void delivery(struct dfs_delivery *d, enum dfs_delivery_status st)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < 16; i++)
		d->id[i] = (uint8_t)(0x01 + i);
	d->id[6] = 0x77; /* a UUIDv7: version and variant bits */
	d->id[8] = 0x89;
	snprintf(d->node, sizeof(d->node), "app-1");
	snprintf(d->project, sizeof(d->project), "web");
	d->version = 3;
	d->status = st;
	d->attempts = 2;
	d->started_ms = 1000;
	d->completed_ms = DFS_TIME_NONE;
}

static void test_delivery_audit_line_exact(void **state)
{
	struct dfs_who actor = {.uid = 1000, .pid = 42};
	struct dfs_delivery d;
	char *line;
	size_t len;

	(void)state;
	snprintf(actor.user, sizeof(actor.user), "ci");
	snprintf(actor.command, sizeof(actor.command), "deployfs -f");
	delivery(&d, DFS_DELIVERY_PENDING);
	assert_int_equal(
		dfs_delivery_audit_line(7, 1500, &d, &actor, &line, &len), 0);
	static const char want[] =
		"{\"seq\":7,\"time\":\"1970-01-01T00:00:01.500Z\","
		"\"deployment_id\":\"01020304-0506-7708-890a-0b0c0d0e0f10\","
		"\"project\":\"web\",\"action\":\"delivery_started\","
		"\"status\":\"success\",\"uid\":1000,\"user\":\"ci\","
		"\"pid\":42,\"command\":\"deployfs -f\",\"node\":\"app-1\","
		"\"attempt\":2}\n";
	assert_int_equal(len, strlen(want));
	assert_memory_equal(line, want, len);
	free(line);

	/* Settled: delivery_<status>; and audit.log's reader takes it. */
	delivery(&d, DFS_DELIVERY_FAILED);
	assert_int_equal(
		dfs_delivery_audit_line(8, 2000, &d, &actor, &line, &len), 0);
	struct dfs_event e;

	assert_int_equal(dfs_audit_decode(0, line, len, &e), 0);
	assert_int_equal(e.seq, 8);
	assert_string_equal(e.action, "delivery_failed");
	assert_string_equal(e.project, "web");
	assert_memory_equal(e.id, d.id, 16);
	free(line);
}

static void test_delivery_json_line(void **state)
{
	struct dfs_delivery d;
	char *s;
	size_t len;

	(void)state;
	delivery(&d, DFS_DELIVERY_FAILED);
	d.completed_ms = 2000;
	snprintf(d.error.code, sizeof(d.error.code), "hook_failed");
	snprintf(d.error.message, sizeof(d.error.message), "exit 1");
	assert_int_equal(dfs_delivery_json(&d, &s, &len), 0);
	static const char want[] =
		"{\"node\":\"app-1\","
		"\"deployment_id\":\"01020304-0506-7708-890a-0b0c0d0e0f10\","
		"\"project\":\"web\",\"version\":3,\"status\":\"failed\","
		"\"attempts\":2,\"started_at\":\"1970-01-01T00:00:01.000Z\","
		"\"completed_at\":\"1970-01-01T00:00:02.000Z\","
		"\"payload_hash\":null,\"error\":{\"code\":\"hook_failed\","
		"\"message\":\"exit 1\",\"phase\":\"delivery\"}}\n";
	assert_int_equal(len, strlen(want));
	assert_string_equal(s, want);
	free(s);
}

static void sample(struct dfs_delivery *d, enum dfs_delivery_status status)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < 16; i++)
		d->id[i] = (uint8_t)(0x10 + i);
	d->id[6] = 0x70; /* version 7 */
	d->id[8] = 0x80; /* variant */
	strcpy(d->node, "app-3");
	strcpy(d->project, "web");
	d->version = 42;
	d->status = status;
	d->attempts = 2;
	d->started_ms = 1796336324123;
	d->completed_ms =
		status == DFS_DELIVERY_PENDING ? DFS_TIME_NONE : 1796336325456;
	if (status == DFS_DELIVERY_FAILED) {
		strcpy(d->error.code, "hook_failed");
		strcpy(d->error.message, "the hook exited with status 1");
	}
	d->has_hash = true;
	memset(d->payload_hash, 0xab, 32);
}

static void assert_same(const struct dfs_delivery *a,
			const struct dfs_delivery *b)
{
	assert_memory_equal(a->id, b->id, 16);
	assert_string_equal(a->node, b->node);
	assert_string_equal(a->project, b->project);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->started_ms, b->started_ms);
	assert_int_equal(a->completed_ms, b->completed_ms);
	assert_int_equal(a->has_hash, b->has_hash);
	assert_memory_equal(a->payload_hash, b->payload_hash, 32);
	assert_string_equal(a->error.code, b->error.code);
	assert_string_equal(a->error.message, b->error.message);
}

static void test_delivery_decode_round_trip(void **state)
{
	static const enum dfs_delivery_status all[] = {
		DFS_DELIVERY_PENDING, DFS_DELIVERY_SUCCESS, DFS_DELIVERY_FAILED,
		DFS_DELIVERY_SUPERSEDED, DFS_DELIVERY_INTERRUPTED};
	struct dfs_delivery d, back;
	char *json;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		sample(&d, all[i]);
		if (i == 3)
			d.has_hash = false;
		assert_int_equal(dfs_delivery_json(&d, &json, &len), 0);
		assert_int_equal(dfs_delivery_decode(json, len, &back), 0);
		if (!d.has_hash)
			memset(d.payload_hash, 0, 32);
		assert_same(&d, &back);
		free(json);
	}
}

static void test_delivery_decode_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"node\":\"a\"}",
		"{\"node\":\"a\",\"deployment_id\":\"nope\",\"project\":"
		"\"web\","
		"\"version\":1,\"status\":\"success\",\"attempts\":1,"
		"\"started_at\":null,\"completed_at\":null,\"payload_hash\":"
		"null,"
		"\"error\":null}",
	};
	struct dfs_delivery d, before;

	(void)state;
	sample(&d, DFS_DELIVERY_SUCCESS);
	before = d;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			dfs_delivery_decode(bad[i], strlen(bad[i]), &d),
			-EBADMSG);
		assert_memory_equal(&d, &before, sizeof(d)); /* untouched */
	}
}

static void test_delivery_node_json_round_trip(void **state)
{
	struct dfs_delivery_node n, back;
	char *line;
	size_t len;

	(void)state;
	memset(&n, 0, sizeof(n));
	strcpy(n.node, "app-4");
	n.following = true;
	n.lags_current = true;
	n.has_delivered = true;
	sample(&n.delivered, DFS_DELIVERY_SUCCESS);
	n.has_latest = true;
	sample(&n.latest, DFS_DELIVERY_FAILED);
	assert_int_equal(dfs_delivery_node_json(&n, &line, &len), 0);
	assert_null(memchr(line, '\n', len)); /* one line, no newline */
	assert_true(strncmp(line,
			    "{\"node\":\"app-4\",\"following\":true,"
			    "\"lags_current\":true,\"delivered\":{",
			    60) == 0);
	assert_int_equal(dfs_delivery_node_decode(line, len, &back), 0);
	assert_string_equal(back.node, "app-4");
	assert_true(back.following && back.lags_current);
	assert_true(back.has_delivered && back.has_latest);
	assert_same(&n.delivered, &back.delivered);
	assert_same(&n.latest, &back.latest);
	free(line);

	/* Nothing delivered yet: null, and null back. */
	n.has_delivered = n.has_latest = false;
	n.following = false;
	assert_int_equal(dfs_delivery_node_json(&n, &line, &len), 0);
	assert_string_equal(line, "{\"node\":\"app-4\",\"following\":false,"
				  "\"lags_current\":true,\"delivered\":null,"
				  "\"latest\":null}");
	assert_int_equal(dfs_delivery_node_decode(line, len, &back), 0);
	assert_false(back.has_delivered || back.has_latest || back.following);
	free(line);
	assert_int_equal(
		dfs_delivery_node_decode("{\"node\":\"a\"}", 12, &back),
		-EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_audit_line_exact),
		cmocka_unit_test(test_delivery_json_line),
		cmocka_unit_test(test_delivery_decode_round_trip),
		cmocka_unit_test(test_delivery_decode_refuses),
		cmocka_unit_test(test_delivery_node_json_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
