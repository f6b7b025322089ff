/*
 * test_delivery — a delivery's two lines: deliveries/<node>.json and its
 * audit.log event, both one line of JSON ending in a newline.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_audit_line_exact),
		cmocka_unit_test(test_delivery_json_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
