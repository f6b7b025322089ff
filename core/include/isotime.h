/*
 * isotime — times as the record shows them: UTC ISO 8601 with milliseconds
 * ("2026-11-26T22:18:44.123Z"). Internally a time is int64 milliseconds
 * since the Unix epoch; DFS_TIME_NONE stands for "not set" (JSON null).
 */
#ifndef DFS_ISOTIME_H
#define DFS_ISOTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define DFS_TIME_NONE	INT64_MIN
#define DFS_ISOTIME_LEN 25 /* with the NUL */

/* The wall clock now, in milliseconds. */
int64_t dfs_time_now_ms(void);

/* Format @ms into @out; returns @out. */
char *dfs_time_format(int64_t ms, char out[DFS_ISOTIME_LEN]);

/*
 * dfs_time_parse — accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.mmm]Z" and
 * numeric offsets "+HH:MM". Returns 0 or -EINVAL; @ms untouched on error.
 */
int dfs_time_parse(const char *s, int64_t *ms);

/*
 * dfs_time_parse_human — a time as people give one on a command line,
 * relative to @now_ms:
 *   - ISO 8601 with a zone ("2026-11-26T22:18:44Z", "...+01:00"): exact;
 *   - a local date or time ("2026-11-29", "2026-11-29 10:00[:SS]",
 *     "2026-11-29T10:00"), in the process's time zone (TZ);
 *   - "now", "today", "yesterday" (local midnight);
 *   - a time ago: a whole number and a unit, s/sec, m/min, h/hour(s),
 *     d/day(s), w/week(s), optionally followed by " ago" ("30m", "2d",
 *     "1 hour ago").
 * With @end_of_day, a date alone ("2026-11-29", "today", "yesterday")
 * means the last millisecond of that day (an inclusive --until).
 * Returns 0 or -EINVAL; @ms untouched on error.
 */
int dfs_time_parse_human(const char *s, int64_t now_ms, bool end_of_day,
			 int64_t *ms);

/* Milliseconds to a struct timespec and back. */
struct timespec dfs_time_to_timespec(int64_t ms);
int64_t dfs_time_from_timespec(const struct timespec *ts);

#endif
