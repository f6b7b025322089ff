/*
 * test_units — sizes with suffixes both ways, and ages for people.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

static uint64_t size_of(const char *s)
{
	uint64_t v = 12345;

	assert_int_equal(dfs_units_parse_size(s, &v), 0);
	return v;
}

static void test_units_parse_size_plain_and_suffixes(void **state)
{
	(void)state;
	assert_int_equal(size_of("0"), 0);
	assert_int_equal(size_of("4096"), 4096);
	assert_int_equal(size_of("100B"), 100);
	assert_int_equal(size_of("10K"), 10240);
	assert_int_equal(size_of("10k"), 10240);
	assert_int_equal(size_of("10M"), 10485760);
	assert_int_equal(size_of("10MB"), 10485760);
	assert_int_equal(size_of("10MiB"), 10485760);
	assert_int_equal(size_of("10mib"), 10485760);
	assert_int_equal(size_of("2G"), 2147483648ULL);
	assert_int_equal(size_of("1T"), 1ULL << 40);
	assert_int_equal(size_of("1P"), 1ULL << 50);
	assert_int_equal(size_of("15E"), 15ULL << 60);
}

static void test_units_parse_size_fractions(void **state)
{
	(void)state;
	assert_int_equal(size_of("1.5G"), 3ULL << 29);
	assert_int_equal(size_of("0.5K"), 512);
	assert_int_equal(size_of("1.25M"), 1310720);
	/* Rounded down to whole bytes. */
	assert_int_equal(size_of("0.001K"), 1);
	assert_int_equal(size_of("0.0001K"), 0);
	assert_int_equal(size_of("2.000000000001G"), 2ULL << 30);
}

static void test_units_parse_size_bad(void **state)
{
	static const char *const bad[] = {
		"",    "M",    "-1",   "+1",	 " 1",	 "1 ",
		"1.5", "1.M",  ".5M",  "10X",	 "10MM", "10Bi",
		"1e3", "10iB", "0x10", "10KiBs", "1,5G", "1.5.1G",
	};
	uint64_t v = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dfs_units_parse_size(bad[i], &v) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(v, 7);
	}
}

static void test_units_parse_size_range(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(size_of("18446744073709551615"), UINT64_MAX);
	assert_int_equal(dfs_units_parse_size("18446744073709551616", &v),
			 -ERANGE);
	assert_int_equal(dfs_units_parse_size("16E", &v), -ERANGE);
	assert_int_equal(dfs_units_parse_size("15.99999999E", &v), 0);
	assert_int_equal(dfs_units_parse_size("99999999999999999999K", &v),
			 -ERANGE);
}

static void test_units_format_size(void **state)
{
	static const struct {
		uint64_t n;
		const char *want;
	} cases[] = {
		{0, "0B"},
		{512, "512B"},
		{1023, "1023B"},
		{1024, "1.0K"},
		{1229, "1.2K"},
		{1258291, "1.2M"},
		{10 * 1024 * 1024, "10M"},
		{15 * 1024 * 1024 + 400000, "15M"},
		{1048575, "1.0M"}, /* 1023.999K */
		{3ULL << 29, "1.5G"},
		{UINT64_MAX, "16E"},
	};
	char buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dfs_units_format_size(cases[i].n, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

/* What format gives, parse takes back (to the precision shown). */
static void test_units_format_parse_agree(void **state)
{
	char buf[16];

	(void)state;
	dfs_units_format_size(10 * 1024 * 1024, buf, sizeof(buf));
	assert_int_equal(size_of(buf), 10 * 1024 * 1024);
	dfs_units_format_size(3ULL << 29, buf, sizeof(buf));
	assert_int_equal(size_of(buf), 3ULL << 29);
}

static void test_units_format_age(void **state)
{
	static const struct {
		int64_t ago_ms;
		const char *want;
	} cases[] = {
		{0, "0 sec ago"},
		{999, "0 sec ago"},
		{1000, "1 sec ago"},
		{59000, "59 sec ago"},
		{60000, "1 min ago"},
		{3 * 60000 + 59000, "3 min ago"},
		{3600000, "1 hour ago"},
		{47 * 3600000LL, "47 hours ago"},
		{2 * 86400000LL, "2 days ago"},
		{13 * 86400000LL, "13 days ago"},
		{14 * 86400000LL, "2 weeks ago"},
		{61 * 86400000LL, "2 months ago"},
		{729 * 86400000LL, "24 months ago"},
		{730 * 86400000LL, "2 years ago"},
	};
	const int64_t now = 1795731524123LL;
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dfs_units_format_age(now, now - cases[i].ago_ms, buf,
				     sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	dfs_units_format_age(now, now + 500, buf, sizeof(buf));
	assert_string_equal(buf, "0 sec ago");
	dfs_units_format_age(now, now + 60000, buf, sizeof(buf));
	assert_string_equal(buf, "in the future");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_parse_size_plain_and_suffixes),
		cmocka_unit_test(test_units_parse_size_fractions),
		cmocka_unit_test(test_units_parse_size_bad),
		cmocka_unit_test(test_units_parse_size_range),
		cmocka_unit_test(test_units_format_size),
		cmocka_unit_test(test_units_format_parse_agree),
		cmocka_unit_test(test_units_format_age),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
