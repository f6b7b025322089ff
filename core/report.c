/* report — see report.h. */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "uuid7.h"

#define LINE_MAX_LEN                                                           \
	(DFS_PROJECT_MAX + DFS_ERRCODE_MAX + 4 * DFS_ERRMSG_MAX + 64)

/* Append @s to @buf (holding *@len bytes) with control bytes escaped. */
static void append_escaped(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s && *len + 5 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n')
			*len += (size_t)snprintf(buf + *len, size - *len,
						 "\\n");
		else if (ch == '\t')
			*len += (size_t)snprintf(buf + *len, size - *len,
						 "\\t");
		else if (ch == '\\')
			*len += (size_t)snprintf(buf + *len, size - *len,
						 "\\\\");
		else if (ch < 0x20 || ch == 0x7f)
			*len += (size_t)snprintf(buf + *len, size - *len,
						 "\\%03o", ch);
		else
			buf[(*len)++] = (char)ch;
	}
	buf[*len] = '\0';
}

void dfs_report_line(const struct dfs_record *rec, char *buf, size_t size)
{
	char id[37];
	size_t len;
	int n;

	if (size == 0)
		return;
	dfs_uuid7_format(rec->id, id);
	n = snprintf(buf, size, "%s %s: %s", rec->project, id,
		     dfs_status_name(rec->status));
	if (n < 0 || (size_t)n >= size || !rec->error.code[0])
		return;
	len = (size_t)n;
	append_escaped(buf, size, &len, ": ");
	append_escaped(buf, size, &len, rec->error.code);
	append_escaped(buf, size, &len, ": ");
	append_escaped(buf, size, &len, rec->error.message);
}

void dfs_report_settled(dfs_report_fn fn, void *arg,
			const struct dfs_record *rec)
{
	char line[LINE_MAX_LEN];

	if (!fn)
		return;
	dfs_report_line(rec, line, sizeof(line));
	fn(arg, line);
}
