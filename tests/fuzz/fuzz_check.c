/*
 * fuzz_check — arbitrary bytes through the streaming archive check, fed in
 * two pieces as an upload would. Whatever the bytes, the check must end
 * with a verdict from the documented codes, hash every byte, and write
 * exactly one manifest line per entry. FUZZ_VERBOSE=1 prints the verdict.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

/* Small, so that no input keeps one run busy for long. */
#define FUZZ_MAX_UNPACKED (16ULL << 20)

static const char *const codes[] = {
	"",
	"not_an_archive",
	"truncated_archive",
	"corrupt_archive",
	"unsafe_path",
	"unsafe_entry",
	"too_large",
};

static int put(int fd, const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static uint64_t count_lines(int fd)
{
	char buf[65536];
	uint64_t lines = 0;
	ssize_t n;
	off_t off = 0;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		off += n;
	}
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfs_check_result res;
	struct dfs_check *c;
	bool known = false;
	int fd = memfd_create("payload", 0);
	int mfd = memfd_create("manifest", 0);

	if (fd < 0 || mfd < 0 || put(fd, data, size) != 0)
		abort();
	if (dfs_check_start(fd, mfd, FUZZ_MAX_UNPACKED, &c) != 0)
		abort();
	dfs_check_advance(c, size / 2);
	if (dfs_check_finish(c, size, &res) != 0)
		abort();
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		known |= strcmp(res.error.code, codes[i]) == 0;
	if (!known || res.size != size)
		abort();
	if (count_lines(mfd) != res.entries)
		abort();
	if (getenv("FUZZ_VERBOSE"))
		printf("%s %s entries=%llu unpacked=%llu %s%s%s\n", res.format,
		       res.error.code[0] ? res.error.code : "ok",
		       (unsigned long long)res.entries,
		       (unsigned long long)res.unpacked_size,
		       res.error.message[0] ? "(" : "", res.error.message,
		       res.error.message[0] ? ")" : "");
	close(mfd);
	close(fd);
	return 0;
}
