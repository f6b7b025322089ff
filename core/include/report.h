/*
 * report — one line per settled deployment, for whoever runs the daemon:
 *
 *   web 01a21a25-f0fa-7077-8b7e-34e1e3754caa: success
 *   web 01a21a25-f0fb-7a1c-9e2d-0c4b5f3a9e11: failed: not_an_archive: <message>
 *
 * core/ never prints: a front end gives a sink to its deploys (struct
 * dfs_deploy_conf; the daemon: its standard error, which is the journal
 * under systemd), and deploy.c, where every deployment settles, reports
 * to it once the record is stored (from a hook's thread too).
 * Control bytes in a message (a hook's output lines) are escaped C-style
 * (\n, \t, \\, \ooo), so one deployment is always one line.
 */
#ifndef DFS_REPORT_H
#define DFS_REPORT_H

#include <stddef.h>

#include "record.h"

/* A sink: @line has no newline; it is only valid during the call. */
typedef void (*dfs_report_fn)(void *arg, const char *line);

/*
 * dfs_report_settled — the line of the settled record @rec to @fn (NULL:
 * nowhere). @fn may be called from any thread, once per line.
 */
void dfs_report_settled(dfs_report_fn fn, void *arg,
			const struct dfs_record *rec);

/* The line for @rec into @buf (truncated to @size, always terminated). */
void dfs_report_line(const struct dfs_record *rec, char *buf, size_t size);

#endif
