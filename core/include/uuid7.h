/*
 * uuid7 — time-ordered deployment ids (RFC 9562 UUID version 7).
 *
 * An id is 16 bytes: 48 bits of Unix milliseconds, big-endian, then the
 * version, 74 bits that are random for the first id of a millisecond and a
 * counter after it, and the variant. Ids compare with memcmp in creation
 * order, so every LMDB key that starts with one is a time index.
 */
#ifndef DFS_UUID7_H
#define DFS_UUID7_H

#include <stdbool.h>
#include <stdint.h>

#define DFS_ID_LEN     16
#define DFS_ID_STR_LEN 36 /* without the NUL */

/*
 * dfs_uuid7_next — the next id after @prev (NULL: none) at time @now_ms.
 * The result is strictly greater than @prev even when the clock stands
 * still or goes back: the 74-bit tail is incremented and, on overflow, the
 * millisecond field. Random bits come from libuuid. Cannot fail.
 */
void dfs_uuid7_next(const uint8_t *prev, uint64_t now_ms, uint8_t out[16]);

/* Milliseconds since the epoch encoded in @id. */
uint64_t dfs_uuid7_ms(const uint8_t id[16]);

/* The smallest id possible at @ms (a lower bound for range scans). */
void dfs_uuid7_floor(uint64_t ms, uint8_t out[16]);

/* Lowercase canonical form into @out (37 bytes with the NUL). */
void dfs_uuid7_format(const uint8_t id[16], char out[37]);

/*
 * dfs_uuid7_parse — canonical text to bytes. Returns 0, or -EINVAL when
 * @s is not a 36-character UUID of version 7; @out is untouched then.
 */
int dfs_uuid7_parse(const char *s, uint8_t out[16]);

/*
 * dfs_uuid7_parse_prefix — the leading hex digits of an id as typed
 * (dashes anywhere are skipped): @lo gets them, the rest zero, and
 * *@nibbles their count. Returns 0, or -EINVAL for another character,
 * more than 32 digits or fewer than 4 (too short to name one id); @lo and
 * *@nibbles are untouched then.
 */
int dfs_uuid7_parse_prefix(const char *prefix, uint8_t lo[16],
			   unsigned *nibbles);

#endif
