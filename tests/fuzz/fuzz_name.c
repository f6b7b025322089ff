/*
 * fuzz_name — arbitrary strings through the project and staging name
 * checks. A project name must match its grammar exactly; a staging name's
 * project must itself be a project name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

static bool grammar(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > DFS_PROJECT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char project[DFS_PROJECT_MAX + 1];
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (dfs_name_is_project(s) != grammar(s))
		abort();
	if (dfs_name_parse_staging(s, project) &&
	    (!dfs_name_is_project(project) || s[0] != '.'))
		abort();
	free(s);
	return 0;
}
