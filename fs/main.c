/*
 * deployfs — mount a deployment store.
 *
 *   deployfs [-f] [-o opt,...] STORE MOUNTPOINT
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog_pg.h"
#include "deliver.h"
#include "delivery_pg.h"
#include "fs.h"
#include "name.h"
#include "report.h"
#include "service.h"
#include "units.h"

struct options {
	char *store;
	const char *mountpoint; /* borrowed from argv, for a stale mount */
	char *map_size;	    /* bytes, with an optional K, M, G or T suffix */
	char *max_payload;  /* the same */
	char *max_unpacked; /* the same */
	char *hook;
	unsigned hook_timeout;
	int hook_wait;
	char *catalog;	  /* a PostgreSQL conninfo: the shared catalog */
	char *node;	  /* this host's name in it */
	char *cache_size; /* STORE/blobs limit with a shared catalog */
	char *follow;	  /* P1:P2 or *: deliver these projects here */
};

static const struct fuse_opt option_spec[] = {
	{"map_size=%s", offsetof(struct options, map_size), 0},
	{"max_unpacked=%s", offsetof(struct options, max_unpacked), 0},
	{"max_payload=%s", offsetof(struct options, max_payload), 0},
	{"hook=%s", offsetof(struct options, hook), 0},
	{"hook_timeout=%u", offsetof(struct options, hook_timeout), 0},
	{"hook_wait", offsetof(struct options, hook_wait), 1},
	{"catalog=%s", offsetof(struct options, catalog), 0},
	{"node=%s", offsetof(struct options, node), 0},
	{"cache_size=%s", offsetof(struct options, cache_size), 0},
	{"follow=%s", offsetof(struct options, follow), 0},
	FUSE_OPT_END,
};

static int take_store(void *data, const char *arg, int key,
		      struct fuse_args *outargs)
{
	struct options *o = data;

	if (key == FUSE_OPT_KEY_NONOPT && !o->store) {
		o->store = strdup(arg);
		return 0;
	}
	if (key == FUSE_OPT_KEY_NONOPT && !o->mountpoint)
		o->mountpoint = arg; /* and libfuse takes it too */
	if (key == FUSE_OPT_KEY_OPT && dfs_service_mount_only_opt(arg))
		return 0;
	return 1;
}

static void usage(const char *prog)
{
	printf("usage: %s [options] STORE MOUNTPOINT\n\n"
	       "Record every deployment copied into MOUNTPOINT/deploy/ in the\n"
	       "store directory STORE (created if missing).\n\n"
	       "deployfs options:\n"
	       "    -o map_size=SIZE       LMDB map size (default 64G)\n"
	       "    -o max_unpacked=SIZE   refuse archives that unpack to "
	       "more\n"
	       "                           (default 100 x the payload, >= 1G)\n"
	       "    -o max_payload=SIZE    largest payload a deploy may write\n"
	       "                           (default 64G)\n"
	       "    -o hook=PATH           run PATH after each deploy is "
	       "stored\n"
	       "                           and checked (STORE/hooks/PROJECT\n"
	       "                           overrides it per project)\n"
	       "    -o hook_timeout=SECS   kill a hook after SECS (default "
	       "600)\n"
	       "    -o hook_wait           close() waits for the hook\n"
	       "    -o catalog=CONNINFO    catalog and payloads in "
	       "PostgreSQL,\n"
	       "                           shared by many hosts (a libpq\n"
	       "                           string or postgresql:// URI)\n"
	       "    -o node=NAME           this host's name in it (default:\n"
	       "                           the host name)\n"
	       "    -o cache_size=SIZE     STORE/blobs payload cache with\n"
	       "                           catalog= (default 10G)\n"
	       "    -o follow=P1:P2|*      with catalog=: deliver each "
	       "successful\n"
	       "                           deploy of these projects here, "
	       "through\n"
	       "                           the hook (* for all projects)\n\n",
	       prog);
}

/*
 * Split follow=P1:P2 in place into @fl (names borrowed from @s): each a
 * project name, or a lone "*". Returns 0 or -EINVAL.
 */
static int parse_follow(char *s, struct dfs_follower_conf *fl)
{
	const char **names;
	size_t n = 1;
	char *p;

	for (p = s; *p; p++)
		n += *p == ':';
	names = calloc(n, sizeof(*names));
	if (!names)
		return -ENOMEM;
	n = 0;
	while ((p = strsep(&s, ":")) != NULL)
		names[n++] = p;
	for (size_t i = 0; i < n; i++)
		if (!dfs_name_is_project(names[i]) &&
		    !(strcmp(names[i], "*") == 0 && n == 1)) {
			free(names);
			return -EINVAL;
		}
	fl->projects = names;
	fl->n = n;
	return 0;
}

/* A size as every size option takes it: 10M, 1.5G (see units.h). */
static int parse_size(const char *s, uint64_t *out)
{
	return dfs_units_parse_size(s, out) ? -EINVAL : 0;
}

/* Open the store (exclusively) and recover what a crash left behind. */
static int open_store(const char *dir, uint64_t map_size,
		      const struct dfs_store_shared *sh, struct dfs_store **st)
{
	unsigned flags = DFS_STORE_CREATE | DFS_STORE_EXCLUSIVE;
	struct dfs_who self;
	char *err = NULL;
	unsigned n = 0;
	int rc;

	if (sh)
		rc = dfs_store_open_shared(dir, flags, sh, st, &err);
	else
		rc = dfs_store_open(dir, flags, map_size, st);
	if (rc && err && *err) {
		fprintf(stderr, "deployfs: catalog '%s': %s\n", sh->conninfo,
			err);
		free(err);
		return rc;
	}
	free(err);
	if (rc == -EBUSY) {
		fprintf(stderr,
			"deployfs: store '%s' is served by another "
			"deployfs already\n",
			dir);
		return rc;
	}
	if (rc == -EPROTO) {
		fprintf(stderr,
			"deployfs: store '%s' has another format than "
			"this build's (%d)\n",
			dir, DFS_STORE_FORMAT);
		return rc;
	}
	if (rc) {
		fprintf(stderr, "deployfs: cannot open store '%s': %s\n", dir,
			strerror(-rc));
		return rc;
	}
	/* Recovery: the catalog's pending records, then the store's tmp/. */
	dfs_who_self(&self);
	rc = dfs_catalog_recover(dfs_store_catalog(*st), &self, &n);
	if (!rc)
		rc = dfs_store_clear_tmp(*st);
	if (rc) {
		fprintf(stderr, "deployfs: cannot recover store '%s': %s\n",
			dir, strerror(-rc));
		dfs_store_close(*st);
		return rc;
	}
	if (n)
		fprintf(stderr,
			"deployfs: %u interrupted deployment(s) marked "
			"failed\n",
			n);
	return 0;
}

/* One line per settled deployment on standard error (report.h). */
static void report_stderr(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/*
 * Housekeeping every 100 ms: LMDB pages read count in RSS, unmap them past
 * this (see store.h); every second, store the progress of uploads.
 */
#define TRIM_LIMIT (24ULL << 20)

struct housekeeper {
	struct dfs_store *st;
	struct dfs_dropbox *db;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool shared;	  /* a PostgreSQL catalog */
	bool unreachable; /* as last seen: log the changes only */
};

/*
 * With a shared catalog, every second: say in the log when the database
 * stops answering and when it is back (the session reconnects by itself
 * on the next call); every ten seconds: fail "interrupted" the pending
 * deployments of nodes whose daemon died (their lease is free).
 */
static void shared_tick(struct housekeeper *t, unsigned ticks)
{
	struct dfs_catalog *cat = dfs_store_catalog(t->st);
	struct dfs_who self;
	char msg[256] = "";
	unsigned n = 0;
	int rc;

	if (ticks % 10 != 0)
		return;
	rc = dfs_catalog_pg_check(cat, msg, sizeof(msg));
	if (rc && !t->unreachable)
		fprintf(stderr,
			"deployfs: catalog unreachable, deploys fail with "
			"EIO until it is back: %s\n",
			msg);
	else if (!rc && t->unreachable)
		fprintf(stderr, "deployfs: catalog reachable again\n");
	t->unreachable = rc != 0;
	if (rc || ticks % 100 != 0)
		return;
	dfs_who_self(&self);
	if (dfs_catalog_pg_recover_dead(cat, &self, &n) == 0 && n)
		fprintf(stderr,
			"deployfs: %u deployment(s) of a dead node marked "
			"interrupted\n",
			n);
	if (dfs_delivery_pg_recover_dead(cat, &n) == 0 && n)
		fprintf(stderr,
			"deployfs: %u delivery(ies) of a dead follower marked "
			"interrupted\n",
			n);
}

static void *housekeeping(void *arg)
{
	struct housekeeper *t = arg;
	struct timespec when;
	unsigned ticks = 0;
	bool trimmed;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		clock_gettime(CLOCK_REALTIME, &when);
		when.tv_nsec += 100 * 1000 * 1000;
		if (when.tv_nsec >= 1000000000L) {
			when.tv_sec++;
			when.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&t->wake, &t->lock, &when);
		dfs_catalog_trim(dfs_store_catalog(t->st), TRIM_LIMIT,
				 &trimmed);
		if (++ticks % 10 == 0)
			dfs_dropbox_tick(t->db);
		if (t->shared)
			shared_tick(t, ticks);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int serve(struct fuse_session *se, struct fuse_cmdline_opts *cmd)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (cmd->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)cmd->clone_fd);
	fuse_loop_cfg_set_max_threads(cfg, cmd->max_threads);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

/*
 * The loop's result as an exit status: a stop asked for by a signal (a
 * service manager's SIGTERM, ^C, a closed terminal) is a clean exit.
 */
static int exit_status(int loop_rc)
{
	if (loop_rc == SIGTERM || loop_rc == SIGINT || loop_rc == SIGHUP)
		return 0;
	return loop_rc ? 1 : 0;
}

/* Deliver the followed projects here, from now until the unmount. */
static int start_follower(struct dfs_store *st, struct dfs_hooks *h,
			  const struct dfs_follower_conf *follow,
			  struct dfs_follower **out)
{
	int rc = dfs_follower_start(st, h, follow, out);

	if (rc)
		fprintf(stderr, "deployfs: cannot follow: %s\n", strerror(-rc));
	return rc;
}

static int run(struct fuse_args *args, struct fuse_cmdline_opts *cmd,
	       const char *store, uint64_t map_size, uint64_t max_payload,
	       uint64_t max_unpacked, const struct dfs_hooks_conf *hooks,
	       const struct dfs_store_shared *sh,
	       const struct dfs_follower_conf *follow)
{
	struct housekeeper hk = {NULL,
				 NULL,
				 PTHREAD_MUTEX_INITIALIZER,
				 PTHREAD_COND_INITIALIZER,
				 false,
				 sh != NULL,
				 false};
	struct dfs_notifier *notifier = NULL;
	struct dfs_follower *follower = NULL;
	struct dfs_deploy_conf conf = {NULL, max_payload, max_unpacked,
				       report_stderr, NULL};
	struct dfs_fs fs = {0};
	struct fuse_session *se;
	pthread_t keeper;
	int rc = 1;

	pthread_mutex_init(&fs.fh_lock, NULL);
	/* A trial open reports a bad store on the terminal, before forking. */
	if (open_store(store, map_size, sh, &fs.st))
		return 1;
	dfs_store_close(fs.st);
	fs.st = NULL;
	se = fuse_session_new(args, &dfs_ops, sizeof(dfs_ops), &fs);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (fuse_session_mount(se, cmd->mountpoint) != 0)
		goto out_signals;
	fuse_daemonize(cmd->foreground);
	/* LMDB must be opened by the process that uses it: after the fork. */
	if (open_store(store, map_size, sh, &fs.st) ||
	    dfs_hooks_new(fs.st, hooks, &fs.hooks))
		goto out_unmount;
	conf.hooks = fs.hooks;
	if (dfs_dropbox_new(fs.st, &conf, &fs.db) ||
	    dfs_tree_new(fs.st, fs.db, getuid(), getgid(), &fs.tree))
		goto out_unmount;
	if (follow && start_follower(fs.st, fs.hooks, follow, &follower))
		goto out_unmount;
	hk.st = fs.st;
	hk.db = fs.db;
	if (pthread_create(&keeper, NULL, housekeeping, &hk) != 0)
		goto out_unmount;
	notifier = dfs_notifier_start(cmd->mountpoint);
	rc = exit_status(serve(se, cmd));
	dfs_notifier_stopping(notifier);
	pthread_mutex_lock(&hk.lock);
	hk.stop = true;
	pthread_cond_signal(&hk.wake);
	pthread_mutex_unlock(&hk.lock);
	pthread_join(keeper, NULL);
out_unmount:
	fuse_session_unmount(se);
	dfs_follower_stop(follower);
	dfs_fs_free_handles(&fs);
	dfs_notifier_free(notifier);
	dfs_tree_free(fs.tree);
	dfs_dropbox_free(fs.db);
	dfs_hooks_free(fs.hooks);
	dfs_store_close(fs.st);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o = {.hook_timeout = 600};
	struct fuse_cmdline_opts cmd = {0};
	struct dfs_hooks_conf hooks;
	struct dfs_store_shared shared = {NULL, NULL, 0};
	struct dfs_follower_conf follow = {NULL, NULL, 0};
	char *follow_names = NULL; /* follow= split at the ':' */
	char store[PATH_MAX];
	uint64_t map_size = 0, max_payload = DFS_DEPLOY_PAYLOAD_DEFAULT;
	uint64_t max_unpacked = 0;
	int rc = 2;

	if (fuse_opt_parse(&args, &o, option_spec, take_store) != 0)
		goto out;
	/* Before libfuse resolves the mount point, which fails on one. */
	if (o.mountpoint && dfs_service_clear_stale(o.mountpoint) != 0) {
		rc = 1;
		goto out;
	}
	if (fuse_parse_cmdline(&args, &cmd) != 0)
		goto out;
	if (cmd.show_help) {
		usage(argv[0]);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		rc = 0;
		goto out;
	}
	if (cmd.show_version) {
		printf("deployfs %s\n", DEPLOYFS_VERSION);
		rc = 0;
		goto out;
	}
	if (!o.store || !cmd.mountpoint) {
		fprintf(stderr,
			"usage: %s [-f] [-o opt,...] STORE MOUNTPOINT\n",
			argv[0]);
		goto out;
	}
	if (o.hook && o.hook[0] != '/') {
		fprintf(stderr, "deployfs: hook=%s: give an absolute path\n",
			o.hook);
		goto out;
	}
	if (o.map_size && parse_size(o.map_size, &map_size) != 0) {
		fprintf(stderr, "deployfs: bad map_size '%s'\n", o.map_size);
		goto out;
	}
	if (o.max_payload && (parse_size(o.max_payload, &max_payload) != 0 ||
			      max_payload == 0)) {
		fprintf(stderr, "deployfs: bad max_payload '%s'\n",
			o.max_payload);
		goto out;
	}
	if (o.max_unpacked && (parse_size(o.max_unpacked, &max_unpacked) != 0 ||
			       max_unpacked == 0)) {
		fprintf(stderr, "deployfs: bad max_unpacked '%s'\n",
			o.max_unpacked);
		goto out;
	}
	if (o.cache_size &&
	    (parse_size(o.cache_size, &shared.cache_size) != 0 ||
	     shared.cache_size == 0)) {
		fprintf(stderr, "deployfs: bad cache_size '%s'\n",
			o.cache_size);
		goto out;
	}
	if ((o.node || o.cache_size) && !o.catalog) {
		fprintf(stderr, "deployfs: node= and cache_size= go with "
				"catalog=\n");
		goto out;
	}
	if (o.follow && !o.catalog) {
		fprintf(stderr, "deployfs: follow= goes with catalog= (a "
				"follower delivers deploys of the shared "
				"catalog)\n");
		goto out;
	}
	if (o.follow && ((follow_names = strdup(o.follow)) == NULL ||
			 parse_follow(follow_names, &follow) != 0)) {
		fprintf(stderr,
			"deployfs: bad follow '%s': give project names "
			"separated by ':', or '*'\n",
			o.follow);
		goto out;
	}
	follow.conninfo = o.catalog;
	shared.conninfo = o.catalog;
	shared.node = o.node;
	/* The daemon leaves the working directory: keep an absolute path. */
	if (mkdir(o.store, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "deployfs: cannot create store '%s': %s\n",
			o.store, strerror(errno));
		rc = 1;
		goto out;
	}
	if (!realpath(o.store, store)) {
		fprintf(stderr, "deployfs: cannot open store '%s': %s\n",
			o.store, strerror(errno));
		rc = 1;
		goto out;
	}
	hooks.path = o.hook;
	hooks.timeout_s = o.hook_timeout;
	hooks.wait = o.hook_wait;
	rc = run(&args, &cmd, store, map_size, max_payload, max_unpacked,
		 &hooks, o.catalog ? &shared : NULL, o.follow ? &follow : NULL);
out:
	free(cmd.mountpoint);
	free(o.store);
	free(o.map_size);
	free(o.max_unpacked);
	free(o.max_payload);
	free(o.hook);
	free(o.catalog);
	free(o.node);
	free(o.cache_size);
	free(o.follow);
	free((void *)follow.projects);
	free(follow_names);
	fuse_opt_free_args(&args);
	return rc;
}
