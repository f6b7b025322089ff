/* uuid7 — see uuid7.h. Formatting and parsing are libuuid's. */
#include "uuid7.h"

#include <errno.h>
#include <string.h>
#include <uuid/uuid.h>

#include "record.h"

#define TAIL_BITS 74

static void put_ms(uint8_t out[16], uint64_t ms)
{
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)(ms >> (40 - 8 * i));
}

uint64_t dfs_uuid7_ms(const uint8_t id[16])
{
	uint64_t ms = 0;

	for (int i = 0; i < 6; i++)
		ms = ms << 8 | id[i];
	return ms;
}

/* The version and variant bits over whatever the tail holds. */
static void stamp(uint8_t out[16])
{
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x70);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

/*
 * Add one to the 74-bit tail (12 bits in bytes 6-7, 62 in bytes 8-15),
 * skipping the version and variant bits. Returns false on overflow.
 */
static bool tail_increment(uint8_t id[16])
{
	for (int i = 15; i >= 9; i--)
		if (++id[i] != 0)
			return true;
	if ((id[8] & 0x3f) != 0x3f) {
		id[8]++;
		return true;
	}
	id[8] &= 0xc0;
	if (id[7] != 0xff) {
		id[7]++;
		return true;
	}
	id[7] = 0;
	if ((id[6] & 0x0f) != 0x0f) {
		id[6]++;
		return true;
	}
	id[6] &= 0xf0;
	return false;
}

void dfs_uuid7_next(const uint8_t *prev, uint64_t now_ms, uint8_t out[16])
{
	uint8_t id[16];

	if (prev && dfs_uuid7_ms(prev) >= now_ms) {
		memcpy(id, prev, 16);
		if (!tail_increment(id))
			put_ms(id, dfs_uuid7_ms(prev) + 1);
		memcpy(out, id, 16);
		return;
	}
	uuid_generate_random(id);
	/* Keep the top tail bit clear: room for 2^73 increments. */
	id[6] &= 0xf7;
	put_ms(id, now_ms);
	stamp(id);
	memcpy(out, id, 16);
}

void dfs_uuid7_floor(uint64_t ms, uint8_t out[16])
{
	memset(out, 0, 16);
	put_ms(out, ms);
	stamp(out);
}

void dfs_uuid7_format(const uint8_t id[16], char out[37])
{
	uuid_unparse_lower(id, out);
}

int dfs_uuid7_parse_prefix(const char *prefix, uint8_t lo[16],
			   unsigned *nibbles)
{
	uint8_t v[16] = {0};
	unsigned nib = 0;

	for (const char *p = prefix; *p; p++) {
		int h = *p == '-' ? -2 : dfs_hex_digit(*p);

		if (h == -2)
			continue;
		if (h < 0 || nib >= 32)
			return -EINVAL;
		v[nib / 2] |= (uint8_t)(nib % 2 ? h : h << 4);
		nib++;
	}
	if (nib < 4)
		return -EINVAL;
	memcpy(lo, v, 16);
	*nibbles = nib;
	return 0;
}

int dfs_uuid7_parse(const char *s, uint8_t out[16])
{
	uuid_t u;

	if (strlen(s) != DFS_ID_STR_LEN || uuid_parse(s, u) != 0)
		return -EINVAL;
	if ((u[6] >> 4) != 7 || (u[8] & 0xc0) != 0x80)
		return -EINVAL;
	memcpy(out, u, 16);
	return 0;
}
