/* units — see units.h. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The power of 1024 of unit letter @c, or -1. */
static int unit_shift(char c)
{
	static const char units[] = "KMGTPE";
	const char *p = strchr(units, toupper((unsigned char)c));

	return c && p ? (int)(p - units + 1) * 10 : -1;
}

/* Parse the unit at @s (may be ""): sets *@shift, false when not one. */
static bool parse_unit(const char *s, int *shift)
{
	*shift = 0;
	if (!*s)
		return true;
	if ((s[0] == 'B' || s[0] == 'b') && !s[1])
		return true;
	*shift = unit_shift(s[0]);
	if (*shift < 0)
		return false;
	s++;
	if ((s[0] == 'i' || s[0] == 'I') && (s[1] == 'B' || s[1] == 'b'))
		s += 2;
	else if (s[0] == 'B' || s[0] == 'b')
		s++;
	return *s == '\0';
}

int dfs_units_parse_size(const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, scale = 1, v;
	const char *p = s;
	int shift;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (whole > (UINT64_MAX - d) / 10)
			return -ERANGE;
		whole = whole * 10 + d;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		/* Up to 9 digits count: finer than a byte of an exbibyte. */
		for (; isdigit((unsigned char)*p); p++)
			if (scale < 1000000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	if (!parse_unit(p, &shift))
		return -EINVAL;
	if (scale > 1 && shift == 0)
		return -EINVAL; /* a fraction of a byte */
	if (shift && whole > UINT64_MAX >> shift)
		return -ERANGE;
	v = whole << shift;
	/* frac / scale of a unit, without overflow: shift is at most 60. */
	if (frac) {
		uint64_t unit = 1ULL << shift;
		uint64_t part =
			unit / scale * frac + unit % scale * frac / scale;

		if (v > UINT64_MAX - part)
			return -ERANGE;
		v += part;
	}
	*out = v;
	return 0;
}

void dfs_units_format_size(uint64_t n, char *out, size_t size)
{
	static const char units[] = "BKMGTPE";
	unsigned u = 0;
	double v = (double)n;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0) {
		snprintf(out, size, "%lluB", (unsigned long long)n);
		return;
	}
	/* What rounds up to the next unit is shown in it: 1023.96K is 1.0M. */
	if (v >= 1023.5 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (v < 9.95)
		snprintf(out, size, "%.1f%c", v, units[u]);
	else
		snprintf(out, size, "%.0f%c", v, units[u]);
}

void dfs_units_format_age(int64_t now_ms, int64_t then_ms, char *out,
			  size_t size)
{
	static const struct {
		int64_t below; /* seconds: use this unit below it */
		int64_t unit;
		const char *name, *names;
	} steps[] = {
		{60, 1, "sec", "sec"},
		{3600, 60, "min", "min"},
		{2 * 86400, 3600, "hour", "hours"},
		{14 * 86400, 86400, "day", "days"},
		{61 * 86400, 7 * 86400, "week", "weeks"},
		{730 * 86400, 30 * 86400, "month", "months"},
		{INT64_MAX, 365 * 86400, "year", "years"},
	};
	int64_t secs;

	if (then_ms > now_ms + 999) {
		snprintf(out, size, "in the future");
		return;
	}
	secs = then_ms > now_ms ? 0 : (now_ms - then_ms) / 1000;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int64_t n;

		if (secs >= steps[i].below)
			continue;
		n = secs / steps[i].unit;
		snprintf(out, size, "%lld %s ago", (long long)n,
			 n == 1 ? steps[i].name : steps[i].names);
		return;
	}
}
