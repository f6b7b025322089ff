/* ctl_project — deployctl project list and project rm. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "project.h"
#include "catalog.h"
#include "ctl.h"
#include "isotime.h"
#include "uuid7.h"

static const char project_usage[] =
	"usage: deployctl project list [--json]\n"
	"       deployctl project rm PROJECT [--force] [--json]\n"
	"\n"
	"list: every project with its owner, group, mode and deployments\n"
	"(total, success, failed, pending).\n"
	"rm: remove PROJECT, its records and its payloads (those no other\n"
	"project shares), as made by mistake (cp app.tgz deploy/ makes a\n"
	"project 'app.tgz'). Only its owner or root may; refused while one of\n"
	"its deployments is pending, and while one succeeded unless --force.\n"
	"One project_removed audit event counts the records removed.\n";

static void owner_names(const struct dfs_project *p, char *user, size_t un,
			char *group, size_t gn)
{
	struct passwd *pw = getpwuid(p->uid);
	struct group *gr = getgrgid(p->gid);

	if (pw)
		snprintf(user, un, "%s", pw->pw_name);
	else
		snprintf(user, un, "%u", p->uid);
	if (gr)
		snprintf(group, gn, "%s", gr->gr_name);
	else
		snprintf(group, gn, "%u", p->gid);
}

struct plister {
	struct ctl *c;
	unsigned n;
	int err;
};

static int print_project(struct plister *l, const struct dfs_project *p,
			 const struct dfs_project_counts *k)
{
	char user[64], group[64], mode[8], when[DFS_ISOTIME_LEN], cur[37];
	json_t *o;
	char *s;

	owner_names(p, user, sizeof(user), group, sizeof(group));
	snprintf(mode, sizeof(mode), "%04o", p->mode & 07777);
	if (!l->c->json) {
		printf("%-24s  %-10s  %-10s  %4s  %7llu  %7llu  %6llu  %7llu\n",
		       p->name, user, group, mode, (unsigned long long)k->total,
		       (unsigned long long)k->success,
		       (unsigned long long)k->failed,
		       (unsigned long long)k->pending);
		return 0;
	}
	if (p->has_current)
		dfs_uuid7_format(p->current, cur);
	o = json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s*, s:I, s:I, "
		      "s:I, s:I}",
		      "project", p->name, "uid", (json_int_t)p->uid, "user",
		      user, "gid", (json_int_t)p->gid, "group", group, "mode",
		      mode, "created_at", dfs_time_format(p->created_ms, when),
		      "current", p->has_current ? cur : NULL, "total",
		      (json_int_t)k->total, "success", (json_int_t)k->success,
		      "failed", (json_int_t)k->failed, "pending",
		      (json_int_t)k->pending);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s)
		return -ENOMEM;
	printf("%s\n    %s", l->n ? "," : "", s);
	free(s);
	return 0;
}

static int list_one(void *arg, const struct dfs_entry *e)
{
	struct plister *l = arg;
	struct dfs_project_counts k;
	struct dfs_project p;
	int rc;

	rc = dfs_catalog_project_get(dfs_store_catalog(l->c->st), e->name, &p);
	if (!rc)
		rc = dfs_catalog_project_count(dfs_store_catalog(l->c->st),
					       e->name, &k);
	if (rc == -ENOENT)
		return 0; /* removed meanwhile */
	if (!rc)
		rc = print_project(l, &p, &k);
	if (rc)
		return rc;
	l->n++;
	return 0;
}

static int project_list(struct ctl *c)
{
	struct plister l = {c, 0, 0};
	int rc = ctl_store(c);

	if (rc)
		return rc;
	if (c->json)
		printf("{\"projects\": [");
	else
		printf("%-24s  %-10s  %-10s  %4s  %7s  %7s  %6s  %7s\n",
		       "PROJECT", "OWNER", "GROUP", "MODE", "TOTAL", "SUCCESS",
		       "FAILED", "PENDING");
	rc = dfs_catalog_scan(dfs_store_catalog(c->st), DFS_SCAN_PROJECTS, NULL,
			      0, list_one, &l);
	if (c->json)
		printf("%s]}\n", l.n ? "\n  " : "");
	if (rc < 0)
		return ctl_error(CTL_FAIL, "project list: %s", strerror(-rc));
	return CTL_OK;
}

/* Say why the removal of @name stopped (after @removed records). */
static int rm_error(struct ctl *c, const char *name, int rc, uint64_t removed)
{
	struct dfs_project_counts k = {0};
	struct dfs_project p;

	if (removed)
		ctl_error(CTL_FAIL,
			  "project '%s': %llu record(s) removed before it "
			  "stopped; run it again to finish",
			  name, (unsigned long long)removed);
	switch (rc) {
	case -ENOENT:
		return ctl_error(CTL_FAIL, "no project '%s'", name);
	case -EPERM:
		dfs_catalog_project_get(dfs_store_catalog(c->st), name, &p);
		return ctl_error(CTL_FAIL,
				 "project '%s' belongs to uid %u: only its "
				 "owner or root may remove it",
				 name, p.uid);
	case -EBUSY:
		return ctl_error(CTL_FAIL,
				 "project '%s' has a deployment pending: "
				 "remove it once that settled",
				 name);
	case -ENOTEMPTY:
		dfs_catalog_project_count(dfs_store_catalog(c->st), name, &k);
		return ctl_error(CTL_FAIL,
				 "project '%s' has %llu successful "
				 "deployment(s): add --force to remove "
				 "them too",
				 name, (unsigned long long)k.success);
	default:
		return ctl_error(CTL_FAIL, "cannot remove project '%s': %s",
				 name, strerror(-rc));
	}
}

static int project_rm(struct ctl *c, const char *name, bool force)
{
	uint64_t removed = 0, freed = 0;
	struct dfs_who who;
	int rc = ctl_store(c);

	if (rc)
		return rc;
	if (!dfs_name_is_project(name))
		return ctl_error(CTL_USAGE, "'%s' is not a project name", name);
	dfs_who_self(&who);
	rc = dfs_project_remove(c->st, name, force, &who, &removed, &freed);
	if (rc)
		return rm_error(c, name, rc, removed);
	if (c->json)
		printf("{\"project\": \"%s\", \"records_removed\": %llu, "
		       "\"bytes_freed\": %llu}\n",
		       name, (unsigned long long)removed,
		       (unsigned long long)freed);
	else
		printf("removed project %s: %llu record(s), %llu bytes freed\n",
		       name, (unsigned long long)removed,
		       (unsigned long long)freed);
	return CTL_OK;
}

int cmd_project(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	bool force = false;
	const char *sub;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, ":f", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, project_usage);
		if (rc > 0)
			return rc;
		if (opt == 'f')
			force = true;
	}
	sub = optind < argc ? argv[optind] : "";
	if (strcmp(sub, "list") == 0 && argc - optind == 1 && !force)
		return project_list(c);
	if (strcmp(sub, "rm") == 0 && argc - optind == 2)
		return project_rm(c, argv[optind + 1], force);
	fputs(project_usage, stderr);
	return CTL_USAGE;
}
