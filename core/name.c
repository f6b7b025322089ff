/* name — see name.h. */
#include "name.h"

#include <string.h>

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

static bool project_span(const char *s, size_t n)
{
	if (n == 0 || n > DFS_PROJECT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], i == 0))
			return false;
	return true;
}

bool dfs_name_is_project(const char *s)
{
	return project_span(s, strlen(s));
}

bool dfs_name_is_staging(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '.' || n < 2 || n > DFS_NAME_MAX || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 1; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '/')
			return false;
	return true;
}

bool dfs_name_parse_staging(const char *s, char *project)
{
	const char *dot;
	size_t n, suffix;

	if (!dfs_name_is_staging(s))
		return false;
	dot = strrchr(s, '.');
	if (dot == s)
		return false;
	suffix = strlen(dot + 1);
	if (suffix < 6 || suffix > 16)
		return false;
	for (const char *p = dot + 1; *p; p++)
		if (!name_char(*p, true) && *p != '_')
			return false;
	n = (size_t)(dot - (s + 1));
	if (!project_span(s + 1, n))
		return false;
	memcpy(project, s + 1, n);
	project[n] = '\0';
	return true;
}

bool dfs_name_parse_backup(const char *s, char *project, uint64_t *number)
{
	const char *tilde = strchr(s, '~'), *c;
	size_t n = strlen(s), end;
	uint64_t v = 0;

	/* No project name holds a '~': the first one ends the project. */
	if (!tilde || s[n - 1] != '~')
		return false;
	end = (size_t)(tilde - s);
	if (end + 1 < n) {
		/* "<project>.~<N>~" */
		if (end == 0 || s[end - 1] != '.' || tilde[1] < '1' ||
		    tilde[1] > '9')
			return false;
		for (c = tilde + 1; c < s + n - 1; c++) {
			if (*c < '0' || *c > '9' || v >= 100000000000000000ULL)
				return false;
			v = v * 10 + (uint64_t)(*c - '0');
		}
		end--;
	}
	if (!project_span(s, end))
		return false;
	memcpy(project, s, end);
	project[end] = '\0';
	*number = v;
	return true;
}
