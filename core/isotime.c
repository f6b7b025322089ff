/* isotime — see isotime.h. */
#include "isotime.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int64_t dfs_time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return dfs_time_from_timespec(&ts);
}

char *dfs_time_format(int64_t ms, char out[DFS_ISOTIME_LEN])
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int milli = (int)(ms - (int64_t)secs * 1000);
	char buf[64];
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, milli);
	snprintf(out, DFS_ISOTIME_LEN, "%.24s", buf);
	return out;
}

static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

int dfs_time_parse(const char *s, int64_t *ms)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0, milli = 0, off = 0;
	const char *p = s;

	if (!digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) ||
	    p[7] != '-' || !digits(p + 8, 2, &d))
		return -EINVAL;
	p += 10;
	if (*p == 'T' || *p == ' ') {
		if (!digits(p + 1, 2, &h) || p[3] != ':' ||
		    !digits(p + 4, 2, &mi))
			return -EINVAL;
		p += 6;
		if (*p == ':') {
			if (!digits(p + 1, 2, &sec))
				return -EINVAL;
			p += 3;
			if (*p == '.') {
				int n = 0, v;

				p++;
				while (p[n] >= '0' && p[n] <= '9')
					n++;
				if (n == 0 || !digits(p, n > 3 ? 3 : n, &v))
					return -EINVAL;
				for (int i = n; i < 3; i++)
					v *= 10;
				milli = v;
				p += n;
			}
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;

			if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
			    !digits(p + 4, 2, &om))
				return -EINVAL;
			off = (oh * 60 + om) * (*p == '+' ? 1 : -1);
			p += 6;
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	/* timegm normalises 31 February; refuse what it had to change. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -EINVAL;
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + milli;
	return 0;
}

struct timespec dfs_time_to_timespec(int64_t ms)
{
	struct timespec ts;
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)(ms - secs * 1000) * 1000000L;
	return ts;
}

int64_t dfs_time_from_timespec(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/* Local midnight of the day @days_back before the day of @now_ms. */
static int64_t local_midnight(int64_t now_ms, int days_back, int extra_days)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += extra_days - days_back;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* "30m", "2 days", "1 hour ago": the seconds ago, or -1. */
static int64_t parse_ago(const char *s)
{
	static const struct {
		const char *name;
		int64_t secs;
	} units[] = {
		{"s", 1},	   {"sec", 1},	   {"secs", 1},
		{"second", 1},	   {"seconds", 1}, {"m", 60},
		{"min", 60},	   {"mins", 60},   {"minute", 60},
		{"minutes", 60},   {"h", 3600},	   {"hour", 3600},
		{"hours", 3600},   {"d", 86400},   {"day", 86400},
		{"days", 86400},   {"w", 604800},  {"week", 604800},
		{"weeks", 604800},
	};
	char unit[16];
	int64_t n = 0;
	size_t len;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > 100000000)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (*p == ' ')
		p++;
	len = strcspn(p, " ");
	if (len == 0 || len >= sizeof(unit))
		return -1;
	memcpy(unit, p, len);
	unit[len] = '\0';
	p += len;
	if (*p && strcmp(p, " ago") != 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(unit, units[i].name) == 0)
			return n * units[i].secs;
	return -1;
}

/* Whether ISO text @s ends with a zone: "Z" or "+HH:MM" / "-HH:MM". */
static bool has_zone(const char *s)
{
	size_t n = strlen(s);

	if (n > 10 && s[n - 1] == 'Z')
		return true;
	return n > 16 && (s[n - 6] == '+' || s[n - 6] == '-') &&
	       s[n - 3] == ':';
}

int dfs_time_parse_human(const char *s, int64_t now_ms, bool end_of_day,
			 int64_t *ms)
{
	int64_t t, ago;
	time_t secs;
	struct tm tm;

	if (strcmp(s, "now") == 0) {
		*ms = now_ms;
		return 0;
	}
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		int back = s[0] == 'y';

		/* A day ends at the next midnight: DST days are not 24 h. */
		*ms = end_of_day ? local_midnight(now_ms, back, 1) - 1
				 : local_midnight(now_ms, back, 0);
		return 0;
	}
	ago = parse_ago(s);
	if (ago >= 0) {
		*ms = now_ms - ago * 1000;
		return 0;
	}
	if (dfs_time_parse(s, &t) != 0)
		return -EINVAL;
	if (has_zone(s)) {
		*ms = t;
		return 0;
	}
	/* The fields were read as UTC: read them again as local time. */
	secs = (time_t)(t >= 0 ? t / 1000 : (t - 999) / 1000);
	gmtime_r(&secs, &tm);
	tm.tm_isdst = -1;
	if (strlen(s) == 10 && end_of_day) {
		tm.tm_mday++;
		*ms = (int64_t)mktime(&tm) * 1000 - 1;
		return 0;
	}
	*ms = (int64_t)mktime(&tm) * 1000 + (t - (int64_t)secs * 1000);
	return 0;
}
