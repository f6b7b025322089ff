/* ctl_query — deployctl list, show and audit. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "catalog.h"
#include "ctl.h"
#include "isotime.h"
#include "query.h"
#include "uuid7.h"

static const char list_usage[] =
    "usage: deployctl list [--project P] [--status S] [--since T]\n"
    "                      [--until T] [--limit N] [--offset N] [--json]\n"
    "\n"
    "Deployments, newest first. --since/--until are inclusive on\n"
    "started_at; a date as --until counts all of that day. With --json:\n"
    "{\"deployments\": [...], \"total\": N}, total counting every match\n"
    "before --offset and --limit.\n";

struct lister {
	struct ctl *c;
	uint64_t n;
};

static int print_row(void *arg, const struct dfs_record *r)
{
	struct lister *l = arg;
	char id[37], when[DFS_ISOTIME_LEN], size[32];
	char *line;
	size_t len;
	int rc;

	if (l->c->json) {
		rc = dfs_record_render_compact(r, &line, &len);
		if (rc)
			return rc;
		printf("%s\n    %s", l->n ? "," : "", line);
		free(line);
	} else {
		dfs_uuid7_format(r->id, id);
		if (r->has_hash)
			ctl_human_size(r->payload_size, size, sizeof(size));
		else
			snprintf(size, sizeof(size), "-");
		printf("%-36s  %-16s  %-7s  %s  %10s  %-10s  %s\n", id,
		       r->project, dfs_status_name(r->status),
		       dfs_time_format(r->started_ms, when), size, r->who.user,
		       r->error.code[0] ? r->error.code : "");
	}
	l->n++;
	return 0;
}

static int parse_list(struct ctl *c, int argc, char **argv, struct dfs_query *q)
{
	static const struct option opts[] = {
	    {"project", required_argument, NULL, 'p'},
	    {"status", required_argument, NULL, 's'},
	    {"since", required_argument, NULL, 'a'},
	    {"until", required_argument, NULL, 'b'},
	    {"limit", required_argument, NULL, 'l'},
	    {"offset", required_argument, NULL, 'o'},
	    CTL_COMMON_OPTS,
	    {NULL, 0, NULL, 0},
	};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, list_usage);
		if (rc >= 0) {
			if (rc)
				return rc;
			continue;
		}
		switch (opt) {
		case 'p':
			if (!dfs_name_is_project(optarg))
				return ctl_error(CTL_USAGE,
						 "'%s' is not a project name",
						 optarg);
			q->project = optarg;
			break;
		case 's':
			if (dfs_status_parse(optarg, &q->status) != 0)
				return ctl_error(
				    CTL_USAGE,
				    "--status: '%s' is not pending, "
				    "success or failed",
				    optarg);
			q->has_status = true;
			break;
		case 'a':
			rc = ctl_parse_time("--since", optarg, false,
					    &q->since_ms);
			break;
		case 'b':
			rc = ctl_parse_time("--until", optarg, true,
					    &q->until_ms);
			break;
		case 'l':
			rc = ctl_parse_count("--limit", optarg, &q->limit);
			if (!rc && q->limit == 0)
				rc = ctl_error(CTL_USAGE,
					       "--limit: give at least 1 "
					       "(leave it out for no limit)");
			break;
		case 'o':
			rc = ctl_parse_count("--offset", optarg, &q->offset);
			break;
		}
		if (rc > 0)
			return rc;
	}
	if (optind != argc)
		return ctl_error(CTL_USAGE, "list: unexpected '%s'",
				 argv[optind]);
	return 0;
}

int cmd_list(struct ctl *c, int argc, char **argv)
{
	struct lister l = {c, 0};
	struct dfs_query q;
	uint64_t total = 0;
	int rc;

	dfs_query_init(&q);
	rc = parse_list(c, argc, argv, &q);
	if (!rc)
		rc = ctl_store(c);
	if (rc)
		return rc;
	if (c->json)
		printf("{\"deployments\": [");
	rc = dfs_catalog_query(dfs_store_catalog(c->st), &q, print_row, &l, &total);
	if (c->json)
		printf("%s], \"total\": %llu}\n", l.n ? "\n  " : "",
		       (unsigned long long)total);
	if (rc)
		return ctl_error(CTL_FAIL, "list: %s", strerror(-rc));
	return CTL_OK;
}

static const char show_usage[] =
    "usage: deployctl show ID\n"
    "\n"
    "The record of one deployment, as record.json shows it. ID may be a\n"
    "unique prefix of the id.\n";

int cmd_show(struct ctl *c, int argc, char **argv)
{
	struct dfs_record r;
	uint8_t id[16];
	size_t len;
	char *out;
	int rc;

	rc = ctl_parse_plain(c, argc, argv, show_usage, 1, 1);
	if (!rc)
		rc = ctl_resolve(c, argv[optind], id);
	if (rc)
		return rc;
	rc = dfs_catalog_get(dfs_store_catalog(c->st), id, &r);
	if (!rc)
		rc = dfs_record_render(&r, &out, &len);
	if (rc)
		return ctl_error(CTL_FAIL, "show: %s", strerror(-rc));
	fwrite(out, 1, len, stdout);
	free(out);
	return CTL_OK;
}

static const char audit_usage[] =
    "usage: deployctl audit [--since T] [--project P] [--follow] [--json]\n"
    "\n"
    "The audit trail: one event per change (created, succeeded, failed,\n"
    "interrupted, payload_dropped, pinned, unpinned, payload_corrupt,\n"
    "project_removed), oldest first. --follow keeps printing\n"
    "new events as they happen (Ctrl-C stops). --json prints JSON Lines.\n";

struct auditor {
	struct ctl *c;
	const char *project;
	int64_t since_ms;
	uint64_t next; /* offset after the last event seen */
};

static int print_event(void *arg, const struct dfs_event *e)
{
	struct auditor *a = arg;
	char id[37], when[DFS_ISOTIME_LEN];

	a->next = e->off + e->len;
	if (a->project && strcmp(a->project, e->project) != 0)
		return 0;
	if (a->since_ms != DFS_TIME_NONE && e->time_ms < a->since_ms)
		return 0;
	if (a->c->json) {
		fwrite(e->line, 1, e->len, stdout);
	} else {
		if (e->has_id)
			dfs_uuid7_format(e->id, id);
		else /* a project's event: project_removed */
			snprintf(id, sizeof(id), "%-36s", "-");
		printf("%s  %6llu  %-15s  %-16s  %s  %-10s  %s\n",
		       dfs_time_format(e->time_ms, when),
		       (unsigned long long)e->seq, e->action, e->project, id,
		       e->who.user, e->who.command);
	}
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int cmd_audit(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"since", required_argument, NULL, 'a'},
	    {"project", required_argument, NULL, 'p'},
	    {"follow", no_argument, NULL, 'f'},
	    CTL_COMMON_OPTS,
	    {NULL, 0, NULL, 0},
	};
	struct auditor a = {c, NULL, DFS_TIME_NONE, 0};
	struct timespec tick = {0, 200 * 1000 * 1000};
	bool follow = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":f", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, audit_usage);
		if (rc > 0)
			return rc;
		if (opt == 'a' &&
		    ctl_parse_time("--since", optarg, false, &a.since_ms))
			return CTL_USAGE;
		if (opt == 'p')
			a.project = optarg;
		if (opt == 'f')
			follow = true;
	}
	if (optind != argc)
		return ctl_error(CTL_USAGE, "audit: unexpected '%s'",
				 argv[optind]);
	rc = ctl_store(c);
	if (rc)
		return rc;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		rc = dfs_catalog_audit_scan(dfs_store_catalog(c->st), a.next, print_event, &a);
		if (rc)
			return ctl_error(CTL_FAIL, "audit: %s", strerror(-rc));
		fflush(stdout);
		if (follow)
			nanosleep(&tick, NULL);
	} while (follow && !stop);
	return CTL_OK;
}
