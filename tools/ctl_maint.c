/* ctl_maint — deployctl rollback, pin, unpin, retention, gc and verify. */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "ctl.h"
#include "deploy.h"
#include "gc.h"
#include "hook.h"
#include "retention.h"
#include "uuid7.h"
#include "verify.h"

static const char rollback_usage[] =
	"usage: deployctl rollback PROJECT [ID] [--mount DIR]\n"
	"\n"
	"Deploy again the payload of ID (default: the newest success before\n"
	"current that still has its payload) as a new deployment with\n"
	"rollback_of set; no byte is copied. Through the mount (--mount or\n"
	"$DEPLOYFS_MOUNT) it runs the daemon's check and hook, as\n"
	"`ln -sfn ../deployments/ID MOUNT/deploy/PROJECT` does; without one,\n"
	"on the store directly, with STORE/hooks/PROJECT as the only hook.\n";

/* Explain why @t cannot be a rollback target of @project, or 0. */
static int refuse_target(const char *project, const struct dfs_record *t)
{
	char id[37];

	dfs_uuid7_format(t->id, id);
	if (strcmp(t->project, project) != 0)
		return ctl_error(CTL_FAIL,
				 "%s is a deployment of '%s', not '%s'", id,
				 t->project, project);
	if (t->status != DFS_STATUS_SUCCESS)
		return ctl_error(CTL_FAIL,
				 "%s is %s: only a success can be "
				 "rolled back to",
				 id, dfs_status_name(t->status));
	if (!t->payload_blob_present)
		return ctl_error(CTL_FAIL,
				 "%s has no payload any more (dropped): "
				 "it cannot be rolled back to",
				 id);
	return 0;
}

/* Through the mount: a link renamed onto the project, as ln -sfn does. */
static int rollback_mount(const char *mnt, const char *project,
			  const uint8_t id[16])
{
	char target[64], tmp[4096], dest[4096], idstr[37];

	dfs_uuid7_format(id, idstr);
	snprintf(target, sizeof(target), "../deployments/%s", idstr);
	/* A staging-like name, so that the daemon looks it up as absent. */
	snprintf(tmp, sizeof(tmp), "%s/deploy/.%s.rollback_%d", mnt, project,
		 (int)getpid() % 100000);
	snprintf(dest, sizeof(dest), "%s/deploy/%s", mnt, project);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, dest) < 0) {
		int rc = -errno;

		unlink(tmp);
		return rc;
	}
	return 0;
}

/* Wait while the daemon's hook runs: the exit status is the rollback's. */
static int wait_settled(struct ctl *c, const uint8_t id[16],
			struct dfs_record *r)
{
	struct timespec tick = {0, 200 * 1000 * 1000};
	int rc;

	while ((rc = ctl_get(c, id, r)) == 0 && r->status == DFS_STATUS_PENDING)
		nanosleep(&tick, NULL);
	return rc;
}

static int print_result(struct ctl *c, const struct dfs_record *r)
{
	char id[37];

	dfs_uuid7_format(r->id, id);
	printf("%s %s\n", id, dfs_status_name(r->status));
	if (r->error.code[0])
		ctl_error(CTL_FAIL, "%s: %s", r->error.code, r->error.message);
	return r->status == DFS_STATUS_FAILED ? CTL_FAIL : CTL_OK;
}

/* The default target, as dfs_deploy_rollback_target finds it. */
static int rollback_target(struct ctl *c, const char *project,
			   struct dfs_record *t)
{
	struct dfs_query_before b = {.has = false};
	struct dfs_query q;
	bool has;
	int rc;

	rc = ctl_current(c, project, &has, b.current);
	if (rc || !has)
		return rc ? rc : -ENOENT;
	dfs_query_init(&q);
	q.project = project;
	q.has_status = true;
	q.status = DFS_STATUS_SUCCESS;
	rc = ctl_query(c, &q, dfs_query_before_fn, &b, NULL);
	if (rc < 0)
		return rc;
	if (!b.has)
		return -ENOENT;
	*t = b.found;
	return 0;
}

/* The newest deployment of @project, through the source in use. */
static int latest_of(struct ctl *c, const char *project, uint8_t id[16])
{
	char name[DFS_PROJECT_MAX + 8];

	if (!c->mnt)
		return dfs_catalog_latest(dfs_store_catalog(c->st), project,
					  id);
	snprintf(name, sizeof(name), "%s@latest", project);
	return ctl_mount_resolve(c, name, id);
}

/* Whether @project exists, through the source in use. */
static bool project_exists(struct ctl *c, const char *project)
{
	char path[4096];
	struct dfs_project p;
	struct stat sb;

	if (!c->mnt)
		return dfs_catalog_project_get(dfs_store_catalog(c->st),
					       project, &p) == 0;
	snprintf(path, sizeof(path), "%s/projects/%s", c->mnt, project);
	return stat(path, &sb) == 0;
}

int cmd_rollback(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"mount", required_argument, NULL, 'm'},
		CTL_COMMON_OPTS,
		{NULL, 0, NULL, 0},
	};
	const struct dfs_hooks_conf local_hooks = {NULL, 600, true};
	const char *mnt = c->mount_env, *project;
	struct dfs_deploy_conf conf = {0};
	struct dfs_hooks *hooks;
	struct dfs_record t, out;
	struct dfs_who who;
	uint8_t id[16];
	bool has_id;
	int opt, rc;

	if (c->mount_dir)
		mnt = c->mount_dir;
	while ((opt = getopt_long(argc, argv, ":m:", opts, NULL)) != -1) {
		rc = ctl_common(c, opt, rollback_usage);
		if (rc > 0)
			return rc;
		if (opt == 'm')
			mnt = c->mount_dir = optarg;
	}
	if (argc - optind < 1 || argc - optind > 2) {
		fputs(rollback_usage, stderr);
		return CTL_USAGE;
	}
	project = argv[optind];
	has_id = argc - optind == 2;
	if (!dfs_name_is_project(project))
		return ctl_error(CTL_USAGE, "'%s' is not a project name",
				 project);
	rc = ctl_open(c);
	if (!rc && has_id)
		rc = ctl_resolve(c, argv[optind + 1], id);
	if (rc)
		return rc;
	if (c->mnt)
		mnt = c->mnt;
	if (!project_exists(c, project))
		return ctl_error(CTL_FAIL, "no project '%s'", project);
	if (has_id) {
		rc = ctl_get(c, id, &t);
		if (rc)
			return ctl_error(CTL_FAIL, "%s", strerror(-rc));
		rc = refuse_target(project, &t);
		if (rc)
			return rc;
	}
	dfs_who_self(&who);
	if (mnt && *mnt) {
		if (!has_id) {
			/* Resolve the default here, so the link names it. */
			rc = rollback_target(c, project, &t);
			if (rc)
				return ctl_error(CTL_FAIL,
						 "%s has nothing to roll "
						 "back to",
						 project);
			memcpy(id, t.id, 16);
		}
		rc = rollback_mount(mnt, project, id);
		if (rc == -EACCES || rc == -EPERM)
			return ctl_error(CTL_FAIL,
					 "rollback through '%s': %s: it needs "
					 "write permission on project '%s'",
					 mnt, strerror(-rc), project);
		if (rc && rc != -EBADMSG && rc != -ECANCELED &&
		    rc != -ETIMEDOUT)
			return ctl_error(CTL_FAIL, "rollback through '%s': %s",
					 mnt, strerror(-rc));
		if (latest_of(c, project, out.id) != 0 ||
		    wait_settled(c, out.id, &out) != 0)
			return ctl_error(CTL_FAIL, "no record of the rollback");
		return print_result(c, &out);
	}
	/* On the store itself, only STORE/hooks/PROJECT can run. */
	rc = dfs_hooks_new(c->st, &local_hooks, &hooks);
	if (rc)
		return ctl_error(CTL_FAIL, "rollback: %s", strerror(-rc));
	conf.hooks = hooks;
	dfs_record_init(&out);
	rc = dfs_deploy_rollback(c->st, &conf, project, has_id ? id : NULL,
				 &who, &out);
	dfs_hooks_free(hooks);
	if (out.seq == 0 && rc == -ENOENT && !has_id)
		return ctl_error(CTL_FAIL, "%s has nothing to roll back to",
				 project);
	if (out.seq == 0) /* nothing was created */
		return ctl_error(CTL_FAIL, "rollback: %s", strerror(-rc));
	return print_result(c, &out);
}

static const char pin_usage[] = "usage: deployctl pin ID | deployctl unpin ID\n"
				"\n"
				"A pinned deployment keeps its payload "
				"whatever the retention policy.\n";

static int pin(struct ctl *c, int argc, char **argv, bool on)
{
	struct dfs_who who;
	uint8_t id[16];
	char idstr[37];
	int rc;

	rc = ctl_parse_plain(c, argc, argv, pin_usage, 1, 1);
	if (!rc)
		rc = ctl_resolve(c, argv[optind], id);
	if (rc)
		return rc;
	dfs_uuid7_format(id, idstr);
	dfs_who_self(&who);
	rc = c->mnt ? ctl_mount_pin(c, id, on)
		    : dfs_catalog_set_pinned(dfs_store_catalog(c->st), id, on,
					     &who);
	if (rc == -EACCES || rc == -EPERM)
		return ctl_error(CTL_FAIL,
				 "%s: permission denied: %s needs write "
				 "permission on its project",
				 idstr, on ? "pinning" : "unpinning");
	if (rc)
		return ctl_error(CTL_FAIL, "%s", strerror(-rc));
	printf("%s %s\n", idstr, on ? "pinned" : "unpinned");
	return CTL_OK;
}

int cmd_pin(struct ctl *c, int argc, char **argv)
{
	return pin(c, argc, argv, true);
}

int cmd_unpin(struct ctl *c, int argc, char **argv)
{
	return pin(c, argc, argv, false);
}
