/*
 * test_uuid7 — ids are RFC 9562 version 7, ordered by creation even when
 * the clock stands still or goes back, and survive format/parse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "uuid7.h"

#define T0 1795731524123ULL /* 2026-11-26T22:18:44.123Z */

static void assert_v7(const uint8_t id[16])
{
	assert_int_equal(id[6] >> 4, 7);
	assert_int_equal(id[8] & 0xc0, 0x80);
}

static void test_uuid7_next_version_variant(void **state)
{
	uint8_t id[16];

	(void)state;
	dfs_uuid7_next(NULL, T0, id);
	assert_v7(id);
}

static void test_uuid7_next_timestamp(void **state)
{
	uint8_t id[16];

	(void)state;
	dfs_uuid7_next(NULL, T0, id);
	assert_int_equal(dfs_uuid7_ms(id), T0);
	/* 48-bit big-endian milliseconds in the first six bytes. */
	assert_int_equal(id[0], (T0 >> 40) & 0xff);
	assert_int_equal(id[5], T0 & 0xff);
}

static void test_uuid7_next_random_first(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	dfs_uuid7_next(NULL, T0, a);
	dfs_uuid7_next(NULL, T0, b);
	assert_memory_not_equal(a, b, 16);
}

static void test_uuid7_next_monotonic_same_ms(void **state)
{
	uint8_t prev[16], id[16];
	int i;

	(void)state;
	dfs_uuid7_next(NULL, T0, prev);
	for (i = 0; i < 10000; i++) {
		dfs_uuid7_next(prev, T0, id);
		assert_true(memcmp(id, prev, 16) > 0);
		assert_v7(id);
		memcpy(prev, id, 16);
	}
	/* A counter within one ms stays in that ms. */
	assert_int_equal(dfs_uuid7_ms(id), T0);
}

static void test_uuid7_next_clock_back(void **state)
{
	uint8_t prev[16], id[16];
	int i;

	(void)state;
	dfs_uuid7_next(NULL, T0 + 5000, prev);
	for (i = 0; i < 100; i++) {
		dfs_uuid7_next(prev, T0 - (uint64_t)i, id);
		assert_true(memcmp(id, prev, 16) > 0);
		assert_v7(id);
		assert_true(dfs_uuid7_ms(id) >= T0 + 5000);
		memcpy(prev, id, 16);
	}
}

static void test_uuid7_next_clock_forward(void **state)
{
	uint8_t prev[16], id[16];

	(void)state;
	dfs_uuid7_next(NULL, T0, prev);
	dfs_uuid7_next(prev, T0 + 7, id);
	assert_true(memcmp(id, prev, 16) > 0);
	assert_int_equal(dfs_uuid7_ms(id), T0 + 7);
}

static void test_uuid7_next_tail_overflow(void **state)
{
	uint8_t prev[16], id[16];
	int i;

	(void)state;
	/* The largest id of millisecond T0: the 74-bit tail all ones. */
	for (i = 0; i < 6; i++)
		prev[i] = (uint8_t)(T0 >> (8 * (5 - i)));
	prev[6] = 0x7f;
	prev[7] = 0xff;
	prev[8] = 0xbf;
	memset(prev + 9, 0xff, 7);
	assert_int_equal(dfs_uuid7_ms(prev), T0);

	dfs_uuid7_next(prev, T0, id);
	assert_true(memcmp(id, prev, 16) > 0);
	assert_v7(id);
	assert_int_equal(dfs_uuid7_ms(id), T0 + 1);
}

static void test_uuid7_floor_lower_bound(void **state)
{
	uint8_t fl[16], id[16], before[16];
	int i;

	(void)state;
	dfs_uuid7_floor(T0, fl);
	assert_int_equal(dfs_uuid7_ms(fl), T0);
	for (i = 0; i < 100; i++) {
		dfs_uuid7_next(NULL, T0, id);
		assert_true(memcmp(fl, id, 16) <= 0);
		dfs_uuid7_next(NULL, T0 - 1, before);
		assert_true(memcmp(before, fl, 16) < 0);
	}
}

static void test_uuid7_ms_known(void **state)
{
	const uint8_t id[16] = {0x01, 0x90, 0xf3, 0xc2, 0x00, 0x01, 0x70, 0,
				0x80, 0,    0,	  0,	0,    0,    0,	  0};

	(void)state;
	assert_int_equal(dfs_uuid7_ms(id), 0x0190f3c20001ULL);
}

static void test_uuid7_format_canonical(void **state)
{
	const uint8_t id[16] = {0x01, 0x90, 0xf3, 0xc2, 0xab, 0xcd, 0x7e, 0xf0,
				0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78};
	char s[37];

	(void)state;
	memset(s, 'x', sizeof(s));
	dfs_uuid7_format(id, s);
	assert_string_equal(s, "0190f3c2-abcd-7ef0-9abc-def012345678");
	assert_int_equal(strlen(s), DFS_ID_STR_LEN);
}

static void test_uuid7_parse_roundtrip(void **state)
{
	uint8_t prev[16], id[16], back[16];
	char s[37];
	int i;

	(void)state;
	dfs_uuid7_next(NULL, T0, prev);
	for (i = 0; i < 100; i++) {
		dfs_uuid7_next(prev, T0 + (uint64_t)i / 3, id);
		dfs_uuid7_format(id, s);
		assert_int_equal(dfs_uuid7_parse(s, back), 0);
		assert_memory_equal(id, back, 16);
		memcpy(prev, id, 16);
	}
}

static void test_uuid7_parse_known(void **state)
{
	const uint8_t want[16] = {0x01, 0x90, 0xf3, 0xc2, 0xab, 0xcd,
				  0x7e, 0xf0, 0x9a, 0xbc, 0xde, 0xf0,
				  0x12, 0x34, 0x56, 0x78};
	uint8_t id[16];

	(void)state;
	assert_int_equal(
		dfs_uuid7_parse("0190f3c2-abcd-7ef0-9abc-def012345678", id), 0);
	assert_memory_equal(id, want, 16);
}

static void test_uuid7_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"0190f3c2",
		"0190f3c2-abcd-7ef0-9abc-def01234567",	 /* 35 characters */
		"0190f3c2-abcd-7ef0-9abc-def0123456789", /* 37 characters */
		"0190f3c2abcd-7ef0-9abc-def0123456789",	 /* dash moved */
		"0190f3c2-abcd-7ef0-9abc_def012345678",	 /* not a dash */
		"0190f3c2-abcd-7ef0-9abc-def01234567g",	 /* not hex */
		"0190f3c2-abcd-4ef0-9abc-def012345678",	 /* version 4 */
		"latest",
		"../../etc/passwd",
	};
	uint8_t id[16], keep[16];
	size_t i;

	(void)state;
	memset(keep, 0xa5, sizeof(keep));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(id, keep, 16);
		assert_int_equal(dfs_uuid7_parse(bad[i], id), -EINVAL);
		assert_memory_equal(id, keep, 16);
	}
}

static void test_uuid7_parse_prefix_digits(void **state)
{
	uint8_t lo[16], want[16] = {0x01, 0x8f, 0x2a, 0x30, 0x7b};
	unsigned nib = 0;

	(void)state;
	/* Dashes anywhere are skipped; an odd count fills the high nibble. */
	assert_int_equal(dfs_uuid7_parse_prefix("018f2a30-7", lo, &nib), 0);
	want[4] = 0x70;
	assert_int_equal(nib, 9);
	assert_memory_equal(lo, want, 16);
	assert_int_equal(dfs_uuid7_parse_prefix("018F", lo, &nib), 0);
	assert_int_equal(nib, 4);
	assert_int_equal(lo[0], 0x01);
	assert_int_equal(lo[1], 0x8f);
	assert_int_equal(lo[2], 0);
}

static void test_uuid7_parse_prefix_bad(void **state)
{
	uint8_t lo[16];
	unsigned nib = 77;

	(void)state;
	memset(lo, 0x5a, sizeof(lo));
	assert_int_equal(dfs_uuid7_parse_prefix("018", lo, &nib), -EINVAL);
	assert_int_equal(dfs_uuid7_parse_prefix("-0-1-8-", lo, &nib), -EINVAL);
	assert_int_equal(dfs_uuid7_parse_prefix("018g", lo, &nib), -EINVAL);
	assert_int_equal(
		dfs_uuid7_parse_prefix("018f2a30-7b00-7000-8000-0000000000001",
				       lo, &nib),
		-EINVAL);
	/* Untouched on error. */
	assert_int_equal(nib, 77);
	assert_int_equal(lo[0], 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid7_next_version_variant),
		cmocka_unit_test(test_uuid7_next_timestamp),
		cmocka_unit_test(test_uuid7_next_random_first),
		cmocka_unit_test(test_uuid7_next_monotonic_same_ms),
		cmocka_unit_test(test_uuid7_next_clock_back),
		cmocka_unit_test(test_uuid7_next_clock_forward),
		cmocka_unit_test(test_uuid7_next_tail_overflow),
		cmocka_unit_test(test_uuid7_floor_lower_bound),
		cmocka_unit_test(test_uuid7_ms_known),
		cmocka_unit_test(test_uuid7_format_canonical),
		cmocka_unit_test(test_uuid7_parse_roundtrip),
		cmocka_unit_test(test_uuid7_parse_known),
		cmocka_unit_test(test_uuid7_parse_bad),
		cmocka_unit_test(test_uuid7_parse_prefix_digits),
		cmocka_unit_test(test_uuid7_parse_prefix_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
