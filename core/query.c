/* query — see query.h. */
#include "query.h"

#include <errno.h>

#include "uuid7.h"

int dfs_query_resolve(struct dfs_catalog *cat, const char *prefix,
		      uint8_t id[16])
{
	uint8_t lo[16] = {0};
	unsigned nib = 0;

	for (const char *p = prefix; *p; p++) {
		int h = *p == '-' ? -2 : dfs_hex_digit(*p);

		if (h == -2)
			continue;
		if (h < 0 || nib >= 32)
			return -EINVAL;
		lo[nib / 2] |= (uint8_t)(nib % 2 ? h : h << 4);
		nib++;
	}
	if (nib < 4)
		return -EINVAL;
	return dfs_catalog_find_prefix(cat, lo, nib, id);
}
