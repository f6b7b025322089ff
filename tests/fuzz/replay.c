/*
 * replay — run a fuzz harness over files and directories of inputs
 * without libFuzzer: the corpus as a regression test in every build.
 * Exit 0 when every input passed (a failure aborts), 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	struct stat sb;
	size_t n;

	if (!f || fstat(fileno(f), &sb) != 0) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path,
			strerror(errno));
		return 1;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		abort();
	n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	if (getenv("FUZZ_VERBOSE"))
		printf("%s: ", path);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int walk(const char *path, unsigned *count)
{
	struct dirent **names;
	struct stat sb;
	char sub[4096];
	int n, rc = 0;

	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		++*count;
		return one(path);
	}
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s': %s\n", path,
			strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
				 names[i]->d_name);
			rc |= walk(sub, count);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		rc |= walk(argv[i], &count);
	fprintf(stderr, "replay: %u input(s)\n", count);
	return rc;
}
