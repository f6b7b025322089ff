/*
 * ctl_fleet — deployctl status and wait: the fleet view of a project and
 * waiting for its followers' deliveries (delivery_pg.h), from the shared
 * catalog or through a mount of a daemon on it (ctl_mount_fleet.c).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_table.h"
#include "delivery_pg.h"
#include "isotime.h"
#include "name.h"
#include "units.h"
#include "uuid7.h"

/*
 * Where deliveries are read: --mount, else the shared catalog, else
 * $DEPLOYFS_MOUNT, else (unless a store was named: a store of its own
 * has no fleet) the one deployfs mount. 0 or an exit status.
 */
static int need_fleet(struct ctl *c, const char *cmd)
{
	bool named = (c->mount_dir && *c->mount_dir) ||
		     (c->mount_env && *c->mount_env);
	int rc;

	if (c->mnt || c->st)
		return 0;
	if (!(c->mount_dir && *c->mount_dir) && c->catalog && *c->catalog)
		return ctl_store(c);
	if (named || !c->store_dir || !*c->store_dir) {
		rc = ctl_mount_find(c);
		if (rc != -1)
			return rc;
	}
	return ctl_error(CTL_USAGE,
			 "%s: deliveries live in the shared catalog: give "
			 "--catalog CONNINFO or set DEPLOYFS_CATALOG, or "
			 "--mount MOUNT of a daemon on it",
			 cmd);
}

/* Say that a mount's daemon has no shared catalog, or what @rc is. */
static const char *fleet_strerror(int rc)
{
	return rc == -EOPNOTSUPP ? "no deliveries there: its daemon has no "
				   "shared catalog (-o catalog=)"
				 : strerror(-rc);
}

struct node_adapter {
	int (*fn)(void *arg, const struct dfs_node_view *v);
	void *arg;
};

static int node_adapt(void *arg, const struct dfs_delivery_node *n)
{
	struct node_adapter *a = arg;
	struct dfs_node_view v = {
		n->node,
		n->has_delivered ? &n->delivered : NULL,
		n->has_latest ? &n->latest : NULL,
		n->following,
	};

	return a->fn(a->arg, &v);
}

/* dfs_delivery_pg_nodes, from the catalog or the mount. */
static int fleet_nodes(struct ctl *c, const char *project,
		       int (*fn)(void *arg, const struct dfs_node_view *v),
		       void *arg)
{
	struct node_adapter a = {fn, arg};

	if (c->mnt)
		return ctl_mount_nodes(c, project, node_adapt, &a);
	return dfs_delivery_pg_nodes(dfs_store_catalog(c->st), project, fn,
				     arg);
}

/* "web@42" of a delivery's deployment. */
static void delivery_name(const struct dfs_delivery *d, char *out, size_t n)
{
	char id[37];

	if (d->version) {
		snprintf(out, n, "%s@%llu", d->project,
			 (unsigned long long)d->version);
		return;
	}
	dfs_uuid7_format(d->id, id);
	snprintf(out, n, "%s", id);
}

static int64_t delivery_time(const struct dfs_delivery *d)
{
	return d->completed_ms != DFS_TIME_NONE ? d->completed_ms
						: d->started_ms;
}

static const struct ctl_col status_cols[] = {
	{"NODE", 0, "the follower node"},
	{"DELIVERED", 0, "the deployment it last delivered successfully"},
	{"STATUS", 0, "its latest delivery's status"},
	{"AGE", CTL_COL_RIGHT, "when that delivery started or ended"},
	{"LAGS", 0, "yes when what it delivered is not current"},
	{"ERROR", CTL_COL_TRUNC, "the latest delivery's error"},
};
#define NSTATUS_COLS (sizeof(status_cols) / sizeof(status_cols[0]))

struct status_walk {
	struct ctl_table *t;
	bool has_current;
	uint8_t current[16];
	int64_t now;
	bool json_first;
};

static bool lags(const struct status_walk *w, const struct dfs_node_view *v)
{
	return !w->has_current || !v->delivered ||
	       memcmp(v->delivered->id, w->current, 16) != 0;
}

static void status_cell(const struct status_walk *w,
			const struct dfs_node_view *v, size_t col, char *out,
			size_t n)
{
	const struct dfs_delivery *l = v->latest;

	out[0] = '\0';
	switch (col) {
	case 0:
		snprintf(out, n, "%s", v->node);
		break;
	case 1:
		if (v->delivered)
			delivery_name(v->delivered, out, n);
		break;
	case 2:
		if (l)
			snprintf(out, n, "%s",
				 dfs_delivery_status_name(l->status));
		break;
	case 3:
		if (l)
			dfs_units_format_age(w->now, delivery_time(l), out, n);
		break;
	case 4:
		snprintf(out, n, "%s", lags(w, v) ? "yes" : "no");
		break;
	case 5:
		if (l && l->error.code[0])
			/* Cut to the cell (a terminal cuts it further). */
			if (snprintf(out, n, "%s: %s", l->error.code,
				     l->error.message) < 0)
				out[0] = '\0';
		break;
	}
}

static int status_json(struct status_walk *w, const struct dfs_node_view *v)
{
	char *delivered = NULL, *latest = NULL;
	size_t len;
	int rc = 0;

	if ((v->delivered &&
	     dfs_delivery_json(v->delivered, &delivered, &len)) ||
	    (v->latest && dfs_delivery_json(v->latest, &latest, &len)))
		rc = -ENOMEM;
	/* Each JSON line without its newline. */
	if (delivered)
		delivered[strcspn(delivered, "\n")] = '\0';
	if (latest)
		latest[strcspn(latest, "\n")] = '\0';
	if (!rc)
		printf("%s{\"node\":\"%s\",\"following\":%s,\"lags_current\":"
		       "%s,\"delivered\":%s,\"latest\":%s}",
		       w->json_first ? "" : ",", v->node,
		       v->following ? "true" : "false",
		       lags(w, v) ? "true" : "false",
		       delivered ? delivered : "null",
		       latest ? latest : "null");
	w->json_first = false;
	free(delivered);
	free(latest);
	return rc;
}

static int status_row(void *arg, const struct dfs_node_view *v)
{
	struct status_walk *w = arg;
	char cell[1024];

	if (!w->t)
		return status_json(w, v);
	if (ctl_table_row(w->t))
		return -ENOMEM;
	for (size_t i = 0; i < ctl_table_ncols(w->t); i++) {
		status_cell(w, v, ctl_table_col(w->t, i), cell, sizeof(cell));
		if (ctl_table_set(w->t, i, cell))
			return -ENOMEM;
	}
	return ctl_table_end_row(w->t) ? -ENOMEM : 0;
}

static const char status_usage[] =
	"usage: deployctl status PROJECT [-o COLUMNS] [--json]\n"
	"\n"
	"One line per node that follows PROJECT or delivered it: the\n"
	"deployment it last delivered successfully (PROJECT@N), its latest\n"
	"delivery's status and age, and whether it lags the project's\n"
	"current deployment. Needs the shared catalog (--catalog), or a\n"
	"mount of a daemon on it (--mount: projects/PROJECT/nodes.json).\n"
	"\n"
	"columns:\n";

int cmd_status(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTS,
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct status_walk w = {NULL, false, {0}, dfs_time_now_ms(), true};
	const char *cols = NULL, *project;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		if (opt == 'o') {
			cols = optarg;
			continue;
		}
		if (opt == 'H') {
			fputs(status_usage, stdout);
			ctl_table_help(status_cols, NSTATUS_COLS, stdout);
			return CTL_SHOWED_HELP;
		}
		rc = ctl_common(c, opt, status_usage);
		if (rc)
			return rc < 0 ? CTL_USAGE : rc;
	}
	if (argc - optind != 1) {
		fputs(status_usage, stderr);
		return CTL_USAGE;
	}
	project = argv[optind];
	if (!dfs_name_is_project(project))
		return ctl_error(CTL_USAGE, "'%s' is not a project name",
				 project);
	rc = need_fleet(c, "status");
	if (rc)
		return rc;
	rc = ctl_current(c, project, &w.has_current, w.current);
	if (rc == -ENOENT)
		return ctl_error(CTL_FAIL, "no project '%s'", project);
	if (rc)
		return ctl_error(CTL_FAIL, "%s: %s", project, strerror(-rc));
	if (!c->json) {
		rc = ctl_table_new(status_cols, NSTATUS_COLS,
				   "NODE,DELIVERED,STATUS,AGE,LAGS", cols,
				   &w.t);
		if (rc)
			return rc;
	} else {
		putchar('[');
	}
	rc = fleet_nodes(c, project, status_row, &w);
	if (c->json)
		puts("]");
	if (ctl_table_free(w.t) && !rc)
		rc = -EIO;
	if (rc == -ENOENT)
		return ctl_error(CTL_FAIL, "no project '%s'", project);
	if (rc)
		return ctl_error(CTL_FAIL, "status of '%s': %s", project,
				 fleet_strerror(rc));
	return CTL_OK;
}

/* What a wait has seen of a deployment's deliveries. */
struct wait_tally {
	unsigned settled, failed, total;
	bool print, json, first;
};

static int print_delivery(struct wait_tally *t, const struct dfs_delivery *d)
{
	char name[DFS_PROJECT_MAX + 32], *json;
	size_t len;

	if (t->json) {
		if (dfs_delivery_json(d, &json, &len))
			return -ENOMEM;
		json[strcspn(json, "\n")] = '\0';
		printf("%s%s", t->first ? "" : ",", json);
		t->first = false;
		free(json);
		return 0;
	}
	delivery_name(d, name, sizeof(name));
	printf("%s\t%s\t%s", d->node, name,
	       dfs_delivery_status_name(d->status));
	if (d->error.code[0])
		printf("\t%s: %s", d->error.code, d->error.message);
	putchar('\n');
	return 0;
}

static int tally(void *arg, const struct dfs_delivery *d)
{
	struct wait_tally *t = arg;

	t->total++;
	if (dfs_delivery_settled(d->status))
		t->settled++;
	if (d->status == DFS_DELIVERY_FAILED)
		t->failed++;
	return t->print ? print_delivery(t, d) : 0;
}

static int count_follower(void *arg, const char *node)
{
	(void)node;
	++*(unsigned *)arg;
	return 0;
}

static int count_following(void *arg, const struct dfs_delivery_node *n)
{
	*(unsigned *)arg += n->following;
	return 0;
}

/*
 * How many settled deliveries @id waits for: --nodes, else every
 * follower of its project. *@done: the deployment failed (no delivery
 * will come) or enough deliveries are settled.
 */
static int wait_check(struct ctl *c, const uint8_t id[16], unsigned nodes,
		      struct wait_tally *t, unsigned *want, bool *done)
{
	struct dfs_catalog *cat = c->mnt ? NULL : dfs_store_catalog(c->st);
	struct dfs_record r;
	unsigned followers = 0;
	int rc;

	rc = ctl_get(c, id, &r);
	if (rc)
		return rc;
	*done = r.status == DFS_STATUS_FAILED;
	if (r.status != DFS_STATUS_SUCCESS)
		return *done ? -ECANCELED : 0;
	rc = c->mnt ? ctl_mount_nodes(c, r.project, count_following, &followers)
		    : dfs_delivery_pg_followers(cat, r.project, count_follower,
						&followers);
	if (rc)
		return rc;
	*want = nodes ? nodes : followers;
	memset(t, 0, offsetof(struct wait_tally, print));
	rc = c->mnt ? ctl_mount_deliveries(c, id, tally, t)
		    : dfs_delivery_pg_list(cat, id, tally, t);
	*done = t->settled >= *want;
	return rc;
}

/*
 * Until @deadline_ms (0: none): announcements, else a poll every
 * @poll_ms.
 */
static void wait_for_news(struct dfs_delivery_listener *l, int64_t deadline_ms,
			  int poll_ms)
{
	int64_t left = 1000;

	if (deadline_ms) {
		left = deadline_ms - dfs_time_now_ms();
		if (left > 1000)
			left = 1000;
		if (left < 0)
			left = 0;
	}
	if (!l || dfs_delivery_listener_wait(l, (int)left) < 0)
		poll(NULL, 0, left < poll_ms ? (int)left : poll_ms);
}

static const char wait_usage[] =
	"usage: deployctl wait DEPLOYMENT [--nodes N] [--timeout S] [--json]\n"
	"\n"
	"Block until every node that follows the deployment's project (or N\n"
	"of them) has settled its delivery, then print one line per node:\n"
	"node, deployment, status, error. Exits 1 when a delivery failed, the\n"
	"deployment itself failed, or S seconds passed first. Needs the\n"
	"shared catalog (--catalog), or a mount of a daemon on it (--mount;\n"
	"read every half second).\n";

/* 0 or an exit status; waits as wait_usage says. */
int ctl_wait_delivered(struct ctl *c, const uint8_t id[16], unsigned nodes,
		       unsigned timeout_s)
{
	struct wait_tally t = {0};
	struct dfs_delivery_listener *l = NULL;
	int64_t deadline = 0;
	unsigned want = 0;
	bool done = false;
	char name[64];
	int rc;

	rc = need_fleet(c, "wait");
	if (rc)
		return rc;
	if (timeout_s)
		deadline = dfs_time_now_ms() + (int64_t)timeout_s * 1000;
	/* Without a listening session, polling still gets there. */
	if (c->mnt || dfs_delivery_listener_open(c->catalog, &l))
		l = NULL;
	while ((rc = wait_check(c, id, nodes, &t, &want, &done)) == 0 &&
	       !done && (!deadline || dfs_time_now_ms() < deadline))
		wait_for_news(l, deadline, c->mnt ? 500 : 200);
	dfs_delivery_listener_close(l);
	ctl_name_of(c, id, name, sizeof(name));
	if (rc == -ECANCELED)
		return ctl_error(CTL_FAIL, "%s failed: nothing to deliver",
				 name);
	if (rc)
		return ctl_error(CTL_FAIL, "wait for %s: %s", name,
				 fleet_strerror(rc));
	t.print = true;
	t.json = c->json;
	t.first = true;
	if (c->json)
		putchar('[');
	rc = wait_check(c, id, nodes, &t, &want, &done);
	if (c->json)
		puts("]");
	if (rc)
		return ctl_error(CTL_FAIL, "wait for %s: %s", name,
				 strerror(-rc));
	if (!done)
		return ctl_error(CTL_FAIL,
				 "%s: timed out after %u s: %u of %u "
				 "node(s) settled",
				 name, timeout_s, t.settled, want);
	if (t.failed)
		return ctl_error(CTL_FAIL, "%s: %u of %u delivery(ies) failed",
				 name, t.failed, t.total);
	if (!want)
		fprintf(stderr, "deployctl: %s: no node follows its project\n",
			name);
	return CTL_OK;
}

int cmd_wait(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CTL_COMMON_OPTS,
		{"nodes", required_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	uint64_t nodes = 0, timeout = 0;
	uint8_t id[16];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (opt == 'n' || opt == 't') {
			rc = ctl_parse_count(
				opt == 'n' ? "--nodes" : "--timeout", optarg,
				opt == 'n' ? &nodes : &timeout);
			if (rc)
				return rc;
			continue;
		}
		rc = ctl_common(c, opt, wait_usage);
		if (rc)
			return rc < 0 ? CTL_USAGE : rc;
	}
	if (argc - optind != 1) {
		fputs(wait_usage, stderr);
		return CTL_USAGE;
	}
	if (nodes > 100000 || timeout > 100000000)
		return ctl_error(CTL_USAGE, "--nodes or --timeout too large");
	rc = need_fleet(c, "wait");
	if (rc)
		return rc;
	rc = ctl_resolve(c, argv[optind], id);
	if (rc)
		return rc;
	return ctl_wait_delivered(c, id, (unsigned)nodes, (unsigned)timeout);
}
