/* ctl_table — see ctl_table.h. */
#include "ctl_table.h"

#include <libsmartcols.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

#define COLS_MAX 32

struct ctl_table {
	struct libscols_table *tb;
	struct libscols_line *line; /* the row being filled */
	size_t ncols;
	size_t col[COLS_MAX];  /* indexes into the command's columns */
	size_t minw[COLS_MAX]; /* widths of the pages printed so far */
	unsigned flags[COLS_MAX];
	size_t rows;  /* not printed yet */
	bool printed; /* a page went out: no header any more */
};

/* Append the columns of comma list @list to @t; CTL_USAGE on a bad one. */
static int add_list(struct ctl_table *t, const struct ctl_col *all, size_t nall,
		    const char *list)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < nall; i++)
			if (strlen(all[i].name) == len &&
			    strncasecmp(all[i].name, p, len) == 0)
				break;
		if (i == nall)
			return ctl_error(CTL_USAGE,
					 "-o: unknown column '%.*s' (see "
					 "--help)",
					 (int)len, p);
		if (t->ncols == COLS_MAX)
			return ctl_error(CTL_USAGE, "-o: too many columns");
		t->col[t->ncols++] = i;
		p += len;
		if (*p == ',')
			p++;
	}
	return t->ncols ? 0 : ctl_error(CTL_USAGE, "-o: no column given");
}

int ctl_table_new(const struct ctl_col *all, size_t nall, const char *defaults,
		  const char *spec, struct ctl_table **out)
{
	struct ctl_table *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return ctl_error(CTL_FAIL, "out of memory");
	if (!spec || spec[0] == '+')
		rc = add_list(t, all, nall, defaults);
	else
		rc = 0;
	if (!rc && spec)
		rc = add_list(t, all, nall, spec[0] == '+' ? spec + 1 : spec);
	if (rc) {
		free(t);
		return rc;
	}
	t->tb = scols_new_table();
	for (size_t i = 0; t->tb && i < t->ncols; i++) {
		const struct ctl_col *c = &all[t->col[i]];
		int fl = (c->flags & CTL_COL_RIGHT ? SCOLS_FL_RIGHT : 0) |
			 (c->flags & CTL_COL_TRUNC ? SCOLS_FL_TRUNC : 0);

		t->flags[i] = c->flags;
		if (!scols_table_new_column(t->tb, c->name, 0, fl)) {
			scols_unref_table(t->tb);
			t->tb = NULL;
		}
	}
	if (!t->tb) {
		free(t);
		return ctl_error(CTL_FAIL, "out of memory");
	}
	*out = t;
	return 0;
}

size_t ctl_table_ncols(const struct ctl_table *t)
{
	return t->ncols;
}

size_t ctl_table_col(const struct ctl_table *t, size_t i)
{
	return t->col[i];
}

int ctl_table_row(struct ctl_table *t)
{
	t->line = scols_table_new_line(t->tb, NULL);
	return t->line ? 0 : ctl_error(CTL_FAIL, "out of memory");
}

/* Columns on screen: UTF-8 code points (what the table holds is UTF-8). */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int ctl_table_set(struct ctl_table *t, size_t i, const char *text)
{
	char buf[512];
	size_t w, pad;

	if (!text || !*text)
		text = "-";
	/*
	 * A later page is padded to the widths of the earlier ones: the
	 * table computes its widths per page, and its width hints do not
	 * reach below a header's width.
	 */
	w = text_width(text);
	if (i + 1 < t->ncols && w < t->minw[i] &&
	    t->minw[i] - w + strlen(text) < sizeof(buf)) {
		pad = t->minw[i] - w;
		if (t->flags[i] & CTL_COL_RIGHT)
			snprintf(buf, sizeof(buf), "%*s%s", (int)pad, "", text);
		else
			snprintf(buf, sizeof(buf), "%s%*s", text, (int)pad, "");
		text = buf;
	}
	if (scols_line_set_data(t->line, i, text) != 0)
		return ctl_error(CTL_FAIL, "out of memory");
	return 0;
}

int ctl_table_end_row(struct ctl_table *t)
{
	t->line = NULL;
	return ++t->rows >= CTL_TABLE_PAGE ? ctl_table_flush(t) : 0;
}

int ctl_table_flush(struct ctl_table *t)
{
	if (!t->rows)
		return 0;
	if (scols_print_table(t->tb) != 0)
		return ctl_error(CTL_FAIL, "cannot print the table");
	fflush(stdout);
	/* The next page: no header, and no column narrower than this one. */
	for (size_t i = 0; i < t->ncols; i++) {
		size_t w = scols_column_get_width(
			scols_table_get_column(t->tb, i));

		if (w > t->minw[i])
			t->minw[i] = w;
	}
	scols_table_remove_lines(t->tb);
	scols_table_enable_noheadings(t->tb, 1);
	t->rows = 0;
	t->printed = true;
	return 0;
}

int ctl_table_free(struct ctl_table *t)
{
	int rc;

	if (!t)
		return 0;
	rc = ctl_table_flush(t);
	scols_unref_table(t->tb);
	free(t);
	return rc;
}

void ctl_table_help(const struct ctl_col *all, size_t nall, FILE *f)
{
	for (size_t i = 0; i < nall; i++)
		fprintf(f, "  %-12s %s\n", all[i].name, all[i].help);
}
