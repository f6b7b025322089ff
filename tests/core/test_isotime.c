/*
 * test_isotime — UTC ISO 8601 with milliseconds, both ways.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "isotime.h"

#define T_FULL 1795731524123LL /* 2026-11-26T22:18:44.123Z */
#define T_DAY  1795651200000LL /* 2026-11-26T00:00:00.000Z */

static void test_time_format_known(void **state)
{
	char buf[DFS_ISOTIME_LEN];

	(void)state;
	assert_string_equal(dfs_time_format(T_FULL, buf),
			    "2026-11-26T22:18:44.123Z");
	assert_string_equal(dfs_time_format(T_DAY, buf),
			    "2026-11-26T00:00:00.000Z");
	assert_string_equal(dfs_time_format(0, buf),
			    "1970-01-01T00:00:00.000Z");
	assert_int_equal(strlen(buf), DFS_ISOTIME_LEN - 1);
}

static void test_time_format_returns_out(void **state)
{
	char buf[DFS_ISOTIME_LEN];

	(void)state;
	assert_ptr_equal(dfs_time_format(T_FULL, buf), buf);
}

static void test_time_format_pads_millis(void **state)
{
	char buf[DFS_ISOTIME_LEN];

	(void)state;
	assert_string_equal(dfs_time_format(T_DAY + 7, buf),
			    "2026-11-26T00:00:00.007Z");
}

static void test_time_parse_date(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(dfs_time_parse("2026-11-26", &ms), 0);
	assert_int_equal(ms, T_DAY);
}

static void test_time_parse_full(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(dfs_time_parse("2026-11-26T22:18:44.123Z", &ms), 0);
	assert_int_equal(ms, T_FULL);
}

static void test_time_parse_no_millis(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(dfs_time_parse("2026-11-26T22:18:44Z", &ms), 0);
	assert_int_equal(ms, T_FULL - 123);
}

static void test_time_parse_offset(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(dfs_time_parse("2026-11-26T23:18:44.123+01:00", &ms),
			 0);
	assert_int_equal(ms, T_FULL);
	ms = 0;
	assert_int_equal(dfs_time_parse("2026-11-26T17:18:44.123-05:00", &ms),
			 0);
	assert_int_equal(ms, T_FULL);
	ms = 0;
	assert_int_equal(dfs_time_parse("2026-11-26T22:18:44+00:00", &ms), 0);
	assert_int_equal(ms, T_FULL - 123);
}

static void test_time_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"yesterday",
		"2026-13-01",
		"2026-00-10",
		"2026-11-32",
		"2026-11-26T25:00:00Z",
		"2026-11-26T22:61:00Z",
		"2026-11-26x",
		"2026-11-26T22:18:44.123Zjunk",
		"2026/11/26",
	};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 42;
		assert_int_equal(dfs_time_parse(bad[i], &ms), -EINVAL);
		assert_int_equal(ms, 42);
	}
}

static void test_time_format_parse_roundtrip(void **state)
{
	const int64_t vals[] = {
		0, 1, 999, T_DAY, T_FULL, 951782400000LL, 4102444799999LL};
	char buf[DFS_ISOTIME_LEN];
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		ms = -1;
		dfs_time_format(vals[i], buf);
		assert_int_equal(dfs_time_parse(buf, &ms), 0);
		assert_int_equal(ms, vals[i]);
	}
}

static void test_time_now_ms_wall_clock(void **state)
{
	struct timespec a, b;
	int64_t now;

	(void)state;
	clock_gettime(CLOCK_REALTIME, &a);
	now = dfs_time_now_ms();
	clock_gettime(CLOCK_REALTIME, &b);
	assert_true(now >= (int64_t)a.tv_sec * 1000 + a.tv_nsec / 1000000);
	assert_true(now <= (int64_t)b.tv_sec * 1000 + b.tv_nsec / 1000000);
}

static void test_time_to_timespec_known(void **state)
{
	struct timespec ts;

	(void)state;
	ts = dfs_time_to_timespec(T_FULL);
	assert_int_equal(ts.tv_sec, T_FULL / 1000);
	assert_int_equal(ts.tv_nsec, 123000000);
}

static void test_time_to_timespec_negative(void **state)
{
	struct timespec ts;

	(void)state;
	/* A valid timespec keeps tv_nsec in [0, 1e9). */
	ts = dfs_time_to_timespec(-1500);
	assert_int_equal(ts.tv_sec, -2);
	assert_int_equal(ts.tv_nsec, 500000000);
}

static void test_time_from_timespec_truncates(void **state)
{
	struct timespec ts = {.tv_sec = 1795731524, .tv_nsec = 123999999};

	(void)state;
	assert_int_equal(dfs_time_from_timespec(&ts), T_FULL);
}

static void test_time_timespec_roundtrip(void **state)
{
	const int64_t vals[] = {0, 1, 999, 1000, T_FULL};
	struct timespec ts;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		ts = dfs_time_to_timespec(vals[i]);
		assert_int_equal(dfs_time_from_timespec(&ts), vals[i]);
	}
}

/* ---- times as people give them --------------------------------------- */

#define NOW 1795731524123LL /* 2026-11-26T22:18:44.123Z, a Thursday */

static int64_t human(const char *s, bool end)
{
	int64_t ms = 7;

	if (dfs_time_parse_human(s, NOW, end, &ms) != 0)
		fail_msg("'%s' was refused", s);
	return ms;
}

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void test_time_parse_human_relative(void **state)
{
	(void)state;
	set_tz("UTC");
	assert_int_equal(human("now", false), NOW);
	assert_int_equal(human("30s", false), NOW - 30000);
	assert_int_equal(human("30m", false), NOW - 1800000);
	assert_int_equal(human("1h", false), NOW - 3600000);
	assert_int_equal(human("2d", true), NOW - 2 * 86400000LL);
	assert_int_equal(human("1w", false), NOW - 7 * 86400000LL);
	assert_int_equal(human("3 hours ago", false), NOW - 3 * 3600000LL);
	assert_int_equal(human("90min", false), NOW - 90 * 60000LL);
	assert_int_equal(human("0s", false), NOW);
}

static void test_time_parse_human_days(void **state)
{
	(void)state;
	set_tz("UTC");
	assert_int_equal(human("today", false), T_DAY);
	assert_int_equal(human("today", true), T_DAY + 86400000 - 1);
	assert_int_equal(human("yesterday", false), T_DAY - 86400000);
	assert_int_equal(human("yesterday", true), T_DAY - 1);
	/* Local midnight, in a zone five hours behind UTC. */
	set_tz("EST5");
	assert_int_equal(human("today", false), T_DAY + 5 * 3600000LL);
	assert_int_equal(human("yesterday", false),
			 T_DAY + 5 * 3600000LL - 86400000);
	set_tz("UTC");
}

static void test_time_parse_human_local(void **state)
{
	(void)state;
	set_tz("EST5");
	assert_int_equal(human("2026-11-26", false), T_DAY + 5 * 3600000LL);
	assert_int_equal(human("2026-11-26", true),
			 T_DAY + 5 * 3600000LL + 86400000 - 1);
	assert_int_equal(human("2026-11-26 10:00", false),
			 T_DAY + 15 * 3600000LL);
	assert_int_equal(human("2026-11-26T10:00:30", true),
			 T_DAY + 15 * 3600000LL + 30000);
	assert_int_equal(human("2026-11-26 10:00:30.250", false),
			 T_DAY + 15 * 3600000LL + 30250);
	/* With a zone, the time is exact whatever TZ says. */
	assert_int_equal(human("2026-11-26T22:18:44.123Z", false), NOW);
	assert_int_equal(human("2026-11-26T23:18:44.123+01:00", false), NOW);
	assert_int_equal(human("2026-11-26T17:18:44.123-05:00", false), NOW);
	set_tz("UTC");
	assert_int_equal(human("2026-11-26 22:18:44.123", false), NOW);
}

static void test_time_parse_human_bad(void **state)
{
	static const char *const bad[] = {
		"",	      "h",
		"1",	      "-1h",
		"1x",	      "1 h ago x",
		"1hago",      "1 ago",
		"tomorrow",   "Today",
		"1.5h",	      "2026-13-01",
		"2026-02-30", "2026-11-26 25:00",
		"1h ",	      "99999999999d",
	};
	int64_t ms = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dfs_time_parse_human(bad[i], NOW, false, &ms) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(ms, 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse_human_relative),
		cmocka_unit_test(test_time_parse_human_days),
		cmocka_unit_test(test_time_parse_human_local),
		cmocka_unit_test(test_time_parse_human_bad),
		cmocka_unit_test(test_time_format_known),
		cmocka_unit_test(test_time_format_returns_out),
		cmocka_unit_test(test_time_format_pads_millis),
		cmocka_unit_test(test_time_parse_date),
		cmocka_unit_test(test_time_parse_full),
		cmocka_unit_test(test_time_parse_no_millis),
		cmocka_unit_test(test_time_parse_offset),
		cmocka_unit_test(test_time_parse_bad),
		cmocka_unit_test(test_time_format_parse_roundtrip),
		cmocka_unit_test(test_time_now_ms_wall_clock),
		cmocka_unit_test(test_time_to_timespec_known),
		cmocka_unit_test(test_time_to_timespec_negative),
		cmocka_unit_test(test_time_from_timespec_truncates),
		cmocka_unit_test(test_time_timespec_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
