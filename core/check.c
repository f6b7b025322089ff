/* check — see check.h. */
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HEAD_LEN 512

struct magic {
	const char *format;
	size_t off;
	size_t len;
	const char *bytes;
};

static const struct magic magics[] = {
	{"tar+gzip", 0, 2, "\x1f\x8b"},
	{"tar+zstd", 0, 4, "\x28\xb5\x2f\xfd"},
	{"tar+xz", 0, 6,
	 "\xfd"
	 "7zXZ\x00"},
	{"tar+bzip2", 0, 3, "BZh"},
	{"tar", 257, 5, "ustar"}, /* POSIX "ustar\0" and GNU "ustar  " */
};

int dfs_check_sniff(const void *head, size_t n, uint64_t size,
		    char format[DFS_FORMAT_MAX], struct dfs_record_error *err)
{
	const unsigned char *h = head;

	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		const struct magic *m = &magics[i];

		if (n >= m->off + m->len &&
		    memcmp(h + m->off, m->bytes, m->len) == 0) {
			snprintf(format, DFS_FORMAT_MAX, "%s", m->format);
			return 0;
		}
	}
	memset(err, 0, sizeof(*err));
	snprintf(err->code, sizeof(err->code), "%s",
		 dfs_errcode_name(DFS_ERR_NOT_AN_ARCHIVE));
	err->phase = DFS_PHASE_VALIDATE;
	if (size == 0)
		snprintf(err->message, sizeof(err->message),
			 "the payload is empty");
	else
		snprintf(err->message, sizeof(err->message),
			 "the payload (%llu bytes) is not a tar archive, "
			 "plain or compressed with gzip, zstd, xz or bzip2",
			 (unsigned long long)size);
	return -EBADMSG;
}

int dfs_check_fd(int fd, uint64_t size, char format[DFS_FORMAT_MAX],
		 struct dfs_record_error *err)
{
	unsigned char head[HEAD_LEN];
	ssize_t n = pread(fd, head, sizeof(head), 0);

	if (n < 0)
		return -EIO;
	return dfs_check_sniff(head, (size_t)n, size, format, err);
}
