/*
 * fuzz_record — arbitrary bytes through the record decoder. A decoded
 * record encodes to bytes that decode to the same record, and encode to
 * the same bytes again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfs_record rec, back;
	char *enc = NULL, *enc2 = NULL;
	size_t len, len2;

	if (dfs_record_decode(data, size, &rec) != 0)
		return 0;
	if (dfs_record_encode(&rec, &enc, &len) != 0)
		abort();
	if (dfs_record_decode(enc, len, &back) != 0)
		abort();
	if (dfs_record_encode(&back, &enc2, &len2) != 0)
		abort();
	if (len != len2 || memcmp(enc, enc2, len) != 0)
		abort();
	free(enc2);
	free(enc);
	return 0;
}
