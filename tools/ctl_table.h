/*
 * ctl_table — deployctl's tables for people: a header and aligned
 * columns (libsmartcols), the columns chosen with -o.
 *
 * Rows are printed a page at a time (CTL_TABLE_PAGE rows): memory stays
 * bounded however long the listing, and output starts at once. The
 * header comes with the first page only; a later page keeps the widths
 * the earlier ones used as its minimums, so columns only ever widen.
 */
#ifndef DFS_CTL_TABLE_H
#define DFS_CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define CTL_TABLE_PAGE 1000

/* A column a command offers. */
struct ctl_col {
	const char *name; /* as -o takes it (case-insensitive) and shows it */
	unsigned flags;	  /* CTL_COL_* */
	const char *help;
};
#define CTL_COL_RIGHT 1 /* numbers */
#define CTL_COL_TRUNC 2 /* may be cut to fit a terminal */

struct ctl_table;

/*
 * ctl_table_new — a table of the columns @spec names (-o: a comma list;
 * "+A,B" adds to @defaults; NULL: @defaults) out of @all. Prints the
 * error and returns CTL_USAGE for an unknown column, CTL_FAIL when out of
 * memory; 0 with *@out set.
 */
int ctl_table_new(const struct ctl_col *all, size_t nall, const char *defaults,
		  const char *spec, struct ctl_table **out);

/* How many columns are shown, and which of @all the @i-th is. */
size_t ctl_table_ncols(const struct ctl_table *t);
size_t ctl_table_col(const struct ctl_table *t, size_t i);

/* Start a row, set its cells ("" shows "-"), end it. 0 or CTL_FAIL. */
int ctl_table_row(struct ctl_table *t);
int ctl_table_set(struct ctl_table *t, size_t i, const char *text);
int ctl_table_end_row(struct ctl_table *t);

/* Print the rows not printed yet. 0 or CTL_FAIL. */
int ctl_table_flush(struct ctl_table *t);

/* Flush, then free. @t may be NULL. */
int ctl_table_free(struct ctl_table *t);

/* "  NAME  help" lines for --help. */
void ctl_table_help(const struct ctl_col *all, size_t nall, FILE *f);

#endif
