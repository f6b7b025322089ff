/*
 * fuzz_isotime — arbitrary strings through the time parser. A parsed time
 * formats to a string that parses back to the same time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[DFS_ISOTIME_LEN];
	int64_t ms = 42, back = 0;
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (dfs_time_parse(s, &ms) == 0) {
		dfs_time_format(ms, out);
		if (dfs_time_parse(out, &back) != 0 || back != ms)
			abort();
	} else if (ms != 42) {
		abort(); /* untouched on error */
	}
	free(s);
	return 0;
}
