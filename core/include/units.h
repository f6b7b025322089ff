/*
 * units — sizes and ages as people write and read them: "10M", "1.5G",
 * "1.2M", "3 min ago". Sizes count in powers of 1024, as the daemon's
 * size options always have (K, M, G, T, P, E; "10M", "10MB" and "10MiB"
 * are all 10 * 2^20 bytes). Pure functions: no allocation, no I/O.
 */
#ifndef DFS_UNITS_H
#define DFS_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * dfs_units_parse_size — "4096", "10K", "10M", "1.5G", "2TiB", "100B":
 * a decimal number (a fraction only with a unit) and an optional unit,
 * case-insensitive, rounded down to whole bytes. @out is untouched on
 * error. Errors: -EINVAL (not a size), -ERANGE (above 2^64 - 1).
 */
int dfs_units_parse_size(const char *s, uint64_t *out);

/*
 * dfs_units_format_size — @n bytes as "0B", "512B", "1.2K", "15M",
 * "1.5G": one decimal below 10 of a unit, rounded to the nearest.
 * @out holds at least 8 bytes to fit every value.
 */
void dfs_units_format_size(uint64_t n, char *out, size_t size);

/*
 * dfs_units_format_age — how long before @now_ms @then_ms was, for
 * people: "12 sec ago", "3 min ago", "5 hours ago", "2 days ago",
 * "3 weeks ago", "4 months ago", "2 years ago"; a time after @now_ms
 * (clocks of other hosts) reads "in the future".
 */
void dfs_units_format_age(int64_t now_ms, int64_t then_ms, char *out,
			  size_t size);

#endif
