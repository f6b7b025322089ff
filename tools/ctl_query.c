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
#include "ctl_table.h"
#include "isotime.h"
#include "query.h"
#include "units.h"
#include "uuid7.h"

static const char list_usage[] =
	"usage: deployctl list [--project P] [--status S] [--since T]\n"
	"                      [--until T] [--limit N] [--offset N]\n"
	"                      [-o COLUMNS] [--json]\n"
	"\n"
	"Deployments, newest first, as a table: NAME is <project>@<version>;\n"
	"MARKS says current, pinned, dropped (payload) and rollback. -o takes "
	"a\n"
	"comma list of the columns below (-o +COL,... adds to the default\n"
	"NAME,STATUS,MARKS,AGE,SIZE,USER,PACKAGE,ERROR). Rows are printed a\n"
	"page at a time, so a long listing starts at once.\n"
	"\n"
	"--since/--until are inclusive on started_at and take ISO 8601\n"
	"(2026-11-26T22:18:44Z), a local date or time (2026-11-26,\n"
	"'2026-11-26 10:00'), a time ago (30m, 1h, 2d, 1w) or today,\n"
	"yesterday, now; a date as --until counts all of that day. With\n"
	"--json: {\"deployments\": [...], \"total\": N}, full records, total\n"
	"counting every match before --offset and --limit.\n"
	"\n"
	"columns:\n";

enum {
	L_NAME,
	L_ID,
	L_PROJECT,
	L_VERSION,
	L_STATUS,
	L_MARKS,
	L_STARTED,
	L_AGE,
	L_SIZE,
	L_USER,
	L_PACKAGE,
	L_ERROR,
	L_ROLLBACK_OF,
	L_FORMAT,
	L_HASH,
	L_NODE,
	L_COMMAND,
	L_EXE,
	L_SSH_CLIENT,
	L_REVISION,
	L_REF,
	L_CI_URL,
	L_NOTE,
};

static const struct ctl_col list_cols[] = {
	[L_NAME] = {"NAME", 0, "<project>@<version>"},
	[L_ID] = {"ID", 0, "deployment_id"},
	[L_PROJECT] = {"PROJECT", 0, "project"},
	[L_VERSION] = {"VERSION", CTL_COL_RIGHT, "version"},
	[L_STATUS] = {"STATUS", 0, "pending, success or failed"},
	[L_MARKS] = {"MARKS", 0, "current, pinned, dropped, rollback"},
	[L_STARTED] = {"STARTED", 0, "started_at (UTC)"},
	[L_AGE] = {"AGE", CTL_COL_RIGHT, "how long ago it started"},
	[L_SIZE] = {"SIZE", CTL_COL_RIGHT, "payload_size (K, M, G: 1024s)"},
	[L_USER] = {"USER", 0, "who deployed"},
	[L_PACKAGE] = {"PACKAGE", 0, "package_identifier"},
	[L_ERROR] = {"ERROR", CTL_COL_TRUNC, "error code"},
	[L_ROLLBACK_OF] = {"ROLLBACK_OF", 0, "what a rollback deployed again"},
	[L_FORMAT] = {"FORMAT", 0, "payload_format"},
	[L_HASH] = {"HASH", 0, "payload_hash"},
	[L_NODE] = {"NODE", 0, "origin_node"},
	[L_COMMAND] = {"COMMAND", CTL_COL_TRUNC, "the writer's command line"},
	[L_EXE] = {"EXE", 0, "provenance.exe"},
	[L_SSH_CLIENT] = {"SSH_CLIENT", 0, "provenance.ssh_client"},
	[L_REVISION] = {"REVISION", 0, "provenance.revision"},
	[L_REF] = {"REF", 0, "provenance.ref"},
	[L_CI_URL] = {"CI_URL", CTL_COL_TRUNC, "provenance.ci_url"},
	[L_NOTE] = {"NOTE", CTL_COL_TRUNC, "provenance.note"},
};
#define N_LIST_COLS  (sizeof(list_cols) / sizeof(list_cols[0]))
#define LIST_DEFAULT "NAME,STATUS,MARKS,AGE,SIZE,USER,PACKAGE,ERROR"

struct lister {
	struct ctl *c;
	uint64_t n;
	struct ctl_table *t;
	int64_t now_ms;
	/* The current deployment of the project last looked at. */
	char cur_project[DFS_PROJECT_MAX + 1];
	bool has_cur;
	uint8_t cur[16];
};

void ctl_name(const struct dfs_record *r, char *out, size_t size)
{
	char id[37];

	if (r->version) {
		snprintf(out, size, "%s@%llu", r->project,
			 (unsigned long long)r->version);
		return;
	}
	dfs_uuid7_format(r->id, id);
	snprintf(out, size, "%s", id);
}

/* <project>@<N> of deployment @id, or its id when it is gone. */
void ctl_name_of(struct ctl *c, const uint8_t id[16], char *out, size_t size)
{
	struct dfs_record r;

	if (ctl_get(c, id, &r) == 0) {
		ctl_name(&r, out, size);
		return;
	}
	dfs_uuid7_format(id, out);
}

static bool is_current(struct lister *l, const struct dfs_record *r)
{
	if (strcmp(l->cur_project, r->project) != 0) {
		snprintf(l->cur_project, sizeof(l->cur_project), "%s",
			 r->project);
		if (ctl_current(l->c, r->project, &l->has_cur, l->cur) != 0)
			l->has_cur = false;
	}
	return l->has_cur && memcmp(l->cur, r->id, 16) == 0;
}

static void marks(struct lister *l, const struct dfs_record *r, char *out,
		  size_t size)
{
	out[0] = '\0';
	if (is_current(l, r))
		strcat(out, ",current");
	if (r->pinned)
		strcat(out, ",pinned");
	if (r->has_hash && !r->payload_blob_present)
		strcat(out, ",dropped");
	if (r->has_rollback)
		strcat(out, ",rollback");
	if (out[0])
		memmove(out, out + 1, strlen(out));
	(void)size;
}

/* The text of list column @col for @r, in @buf or a field of @r. */
static const char *list_cell(struct lister *l, const struct dfs_record *r,
			     size_t col, char *buf, size_t size)
{
	const struct dfs_provenance *p = &r->who.prov;

	switch (col) {
	case L_NAME:
		ctl_name(r, buf, size);
		return buf;
	case L_ID:
		dfs_uuid7_format(r->id, buf);
		return buf;
	case L_PROJECT:
		return r->project;
	case L_VERSION:
		snprintf(buf, size, "%llu", (unsigned long long)r->version);
		return buf;
	case L_STATUS:
		return dfs_status_name(r->status);
	case L_MARKS:
		marks(l, r, buf, size);
		return buf;
	case L_STARTED:
		return dfs_time_format(r->started_ms, buf);
	case L_AGE:
		dfs_units_format_age(l->now_ms, r->started_ms, buf, size);
		return buf;
	case L_SIZE:
		if (!r->has_hash)
			return "";
		dfs_units_format_size(r->payload_size, buf, size);
		return buf;
	case L_USER:
		return r->who.user;
	case L_PACKAGE:
		return r->package_identifier;
	case L_ERROR:
		return r->error.code;
	case L_ROLLBACK_OF:
		if (!r->has_rollback)
			return "";
		ctl_name_of(l->c, r->rollback_of, buf, size);
		return buf;
	case L_FORMAT:
		return r->payload_format;
	case L_HASH:
		if (!r->has_hash)
			return "";
		dfs_hash_hex(r->payload_hash, buf);
		return buf;
	case L_NODE:
		return r->origin_node;
	case L_COMMAND:
		return r->who.command;
	case L_EXE:
		return p->exe;
	case L_SSH_CLIENT:
		return p->ssh_client;
	case L_REVISION:
		return p->revision;
	case L_REF:
		return p->ref;
	case L_CI_URL:
		return p->ci_url;
	default:
		return p->note;
	}
}

static int print_row(void *arg, const struct dfs_record *r)
{
	struct lister *l = arg;
	char *line, buf[DFS_PROJECT_MAX + 80];
	size_t len;
	int rc;

	if (l->c->json) {
		rc = dfs_record_render_compact(r, &line, &len);
		if (rc)
			return rc;
		printf("%s\n    %s", l->n ? "," : "", line);
		free(line);
		l->n++;
		return 0;
	}
	if (ctl_table_row(l->t))
		return -ENOMEM;
	for (size_t i = 0; i < ctl_table_ncols(l->t); i++)
		if (ctl_table_set(l->t, i,
				  list_cell(l, r, ctl_table_col(l->t, i), buf,
					    sizeof(buf))))
			return -ENOMEM;
	l->n++;
	return ctl_table_end_row(l->t) ? -EIO : 0;
}

static int parse_list(struct ctl *c, int argc, char **argv, struct dfs_query *q,
		      const char **cols)
{
	static const struct option opts[] = {
		{"project", required_argument, NULL, 'p'},
		{"status", required_argument, NULL, 's'},
		{"since", required_argument, NULL, 'a'},
		{"until", required_argument, NULL, 'b'},
		{"limit", required_argument, NULL, 'l'},
		{"offset", required_argument, NULL, 'O'},
		{"output", required_argument, NULL, 'o'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	int64_t now = dfs_time_now_ms();
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		if (opt == 'H') {
			fputs(list_usage, stdout);
			ctl_table_help(list_cols, N_LIST_COLS, stdout);
			return CTL_SHOWED_HELP;
		}
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
			rc = ctl_parse_time("--since", optarg, now, false,
					    &q->since_ms);
			break;
		case 'b':
			rc = ctl_parse_time("--until", optarg, now, true,
					    &q->until_ms);
			break;
		case 'l':
			rc = ctl_parse_count("--limit", optarg, &q->limit);
			if (!rc && q->limit == 0)
				rc = ctl_error(CTL_USAGE,
					       "--limit: give at least 1 "
					       "(leave it out for no limit)");
			break;
		case 'O':
			rc = ctl_parse_count("--offset", optarg, &q->offset);
			break;
		case 'o':
			*cols = optarg;
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
	struct lister l = {.c = c, .now_ms = dfs_time_now_ms()};
	const char *cols = NULL;
	struct dfs_query q;
	uint64_t total = 0;
	int rc;

	dfs_query_init(&q);
	rc = parse_list(c, argc, argv, &q, &cols);
	if (!rc && !c->json)
		rc = ctl_table_new(list_cols, N_LIST_COLS, LIST_DEFAULT, cols,
				   &l.t);
	if (!rc)
		rc = ctl_open(c);
	if (rc) {
		ctl_table_free(l.t);
		return rc;
	}
	if (c->json)
		printf("{\"deployments\": [");
	/* No total for a table: counting a time range walks it. */
	rc = ctl_query(c, &q, print_row, &l, c->json ? &total : NULL);
	if (c->json)
		printf("%s], \"total\": %llu}\n", l.n ? "\n  " : "",
		       (unsigned long long)total);
	if (ctl_table_free(l.t) && !rc)
		return CTL_FAIL;
	if (rc)
		return ctl_error(CTL_FAIL, "list: %s", strerror(-rc));
	return CTL_OK;
}

static const char show_usage[] =
	"usage: deployctl show NAME\n"
	"\n"
	"The record of one deployment, as record.json shows it (with its\n"
	"version and provenance). NAME is an id, a unique prefix of one, or\n"
	"PROJECT@N, PROJECT@current, PROJECT@latest.\n";

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
	rc = ctl_get(c, id, &r);
	if (!rc)
		rc = dfs_record_render(&r, &out, &len);
	if (rc)
		return ctl_error(CTL_FAIL, "show: %s", strerror(-rc));
	fwrite(out, 1, len, stdout);
	free(out);
	return CTL_OK;
}

static const char audit_usage[] =
	"usage: deployctl audit [--since T] [--project P] [--follow]\n"
	"                       [-o COLUMNS] [--json]\n"
	"\n"
	"The audit trail: one event per change (created, succeeded, failed,\n"
	"interrupted, payload_dropped, pinned, unpinned, payload_corrupt,\n"
	"project_removed), oldest first, as a table (-o: a comma list of the\n"
	"columns below, or +COL,... added to the default TIME,SEQ,ACTION,\n"
	"NAME,USER,COMMAND). --since takes what list's does (1h, yesterday,\n"
	"a local date or time, ISO 8601). --follow keeps printing new events\n"
	"as they happen (Ctrl-C stops). --json prints JSON Lines.\n"
	"\n"
	"columns:\n";

enum {
	A_TIME,
	A_AGE,
	A_SEQ,
	A_ACTION,
	A_NAME,
	A_ID,
	A_PROJECT,
	A_STATUS,
	A_USER,
	A_UID,
	A_PID,
	A_COMMAND
};

static const struct ctl_col audit_cols[] = {
	[A_TIME] = {"TIME", 0, "when (UTC)"},
	[A_AGE] = {"AGE", CTL_COL_RIGHT, "how long ago"},
	[A_SEQ] = {"SEQ", CTL_COL_RIGHT, "the event's number"},
	[A_ACTION] = {"ACTION", 0, "what happened"},
	[A_NAME] = {"NAME", 0, "<project>@<version> (a project's event: -)"},
	[A_ID] = {"ID", 0, "deployment_id"},
	[A_PROJECT] = {"PROJECT", 0, "project"},
	[A_STATUS] = {"STATUS", 0, "the deployment's status after it"},
	[A_USER] = {"USER", 0, "who did it"},
	[A_UID] = {"UID", CTL_COL_RIGHT, "their uid"},
	[A_PID] = {"PID", CTL_COL_RIGHT, "their process"},
	[A_COMMAND] = {"COMMAND", CTL_COL_TRUNC, "their command line"},
};
#define N_AUDIT_COLS  (sizeof(audit_cols) / sizeof(audit_cols[0]))
#define AUDIT_DEFAULT "TIME,SEQ,ACTION,NAME,USER,COMMAND"

struct auditor {
	struct ctl *c;
	const char *project;
	int64_t since_ms;
	uint64_t next; /* offset after the last event seen */
	struct ctl_table *t;
	int64_t now_ms;
	/* The name of the deployment last looked up. */
	uint8_t name_id[16];
	char name[DFS_PROJECT_MAX + 32];
};

static const char *audit_cell(struct auditor *a, const struct dfs_event *e,
			      size_t col, char *buf, size_t size)
{
	switch (col) {
	case A_TIME:
		return dfs_time_format(e->time_ms, buf);
	case A_AGE:
		dfs_units_format_age(a->now_ms, e->time_ms, buf, size);
		return buf;
	case A_SEQ:
		snprintf(buf, size, "%llu", (unsigned long long)e->seq);
		return buf;
	case A_ACTION:
		return e->action;
	case A_NAME:
		if (!e->has_id)
			return "";
		if (!a->name[0] || memcmp(a->name_id, e->id, 16) != 0) {
			ctl_name_of(a->c, e->id, a->name, sizeof(a->name));
			memcpy(a->name_id, e->id, 16);
		}
		return a->name;
	case A_ID:
		if (!e->has_id)
			return "";
		dfs_uuid7_format(e->id, buf);
		return buf;
	case A_PROJECT:
		return e->project;
	case A_STATUS:
		return e->has_id ? dfs_status_name(e->status) : "";
	case A_USER:
		return e->who.user;
	case A_UID:
		snprintf(buf, size, "%u", (unsigned)e->who.uid);
		return buf;
	case A_PID:
		snprintf(buf, size, "%d", (int)e->who.pid);
		return buf;
	default:
		return e->who.command;
	}
}

static int print_event(void *arg, const struct dfs_event *e)
{
	struct auditor *a = arg;
	char buf[DFS_PROJECT_MAX + 32];

	a->next = e->off + e->len;
	if (a->project && strcmp(a->project, e->project) != 0)
		return 0;
	if (a->since_ms != DFS_TIME_NONE && e->time_ms < a->since_ms)
		return 0;
	if (a->c->json) {
		fwrite(e->line, 1, e->len, stdout);
		return 0;
	}
	if (ctl_table_row(a->t))
		return -ENOMEM;
	for (size_t i = 0; i < ctl_table_ncols(a->t); i++)
		if (ctl_table_set(a->t, i,
				  audit_cell(a, e, ctl_table_col(a->t, i), buf,
					     sizeof(buf))))
			return -ENOMEM;
	return ctl_table_end_row(a->t) ? -EIO : 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int parse_audit(struct ctl *c, int argc, char **argv, struct auditor *a,
		       bool *follow, const char **cols)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 'a'},
		{"project", required_argument, NULL, 'p'},
		{"follow", no_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":fo:", opts, NULL)) != -1) {
		if (opt == 'H') {
			fputs(audit_usage, stdout);
			ctl_table_help(audit_cols, N_AUDIT_COLS, stdout);
			return CTL_SHOWED_HELP;
		}
		rc = ctl_common(c, opt, audit_usage);
		if (rc > 0)
			return rc;
		if (opt == 'a' && ctl_parse_time("--since", optarg, a->now_ms,
						 false, &a->since_ms))
			return CTL_USAGE;
		if (opt == 'p')
			a->project = optarg;
		if (opt == 'f')
			*follow = true;
		if (opt == 'o')
			*cols = optarg;
	}
	if (optind != argc)
		return ctl_error(CTL_USAGE, "audit: unexpected '%s'",
				 argv[optind]);
	return 0;
}

int cmd_audit(struct ctl *c, int argc, char **argv)
{
	struct auditor a = {
		.c = c, .since_ms = DFS_TIME_NONE, .now_ms = dfs_time_now_ms()};
	struct timespec tick = {0, 200 * 1000 * 1000};
	const char *cols = NULL;
	bool follow = false;
	int rc;

	rc = parse_audit(c, argc, argv, &a, &follow, &cols);
	if (!rc && !c->json)
		rc = ctl_table_new(audit_cols, N_AUDIT_COLS, AUDIT_DEFAULT,
				   cols, &a.t);
	if (!rc)
		rc = ctl_open(c);
	if (rc) {
		ctl_table_free(a.t);
		return rc;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		rc = ctl_audit_scan(c, a.next, print_event, &a);
		if (!rc && a.t)
			rc = ctl_table_flush(a.t) ? -EIO : 0;
		if (rc)
			break;
		fflush(stdout);
		if (follow)
			nanosleep(&tick, NULL);
		a.now_ms = dfs_time_now_ms();
	} while (follow && !stop);
	if (ctl_table_free(a.t) && !rc)
		return CTL_FAIL;
	if (rc)
		return ctl_error(CTL_FAIL, "audit: %s", strerror(-rc));
	return CTL_OK;
}
