/* deliver — see deliver.h. */
#include "deliver.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "catalog.h"
#include "delivery_pg.h"

struct dfs_follower {
	struct dfs_store *st;
	struct dfs_hooks *h;
	struct dfs_delivery_listener *l;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
};

struct sink {
	struct dfs_catalog *cat;
	const uint8_t *id;
};

static int to_catalog(void *arg, const void *buf, size_t n)
{
	struct sink *s = arg;

	/* The log is best effort: the hook goes on. */
	dfs_delivery_pg_log(s->cat, s->id, buf, n);
	return 0;
}

/* The hook's outcome as the delivery's status and error. */
static int outcome(void *arg, struct dfs_record *rec, int log_fd,
		   const struct dfs_hook_outcome *o)
{
	struct dfs_delivery *d = arg;
	struct dfs_record_error *e = &d->error;

	(void)rec;
	(void)log_fd;
	d->status = DFS_DELIVERY_FAILED;
	snprintf(e->code, sizeof(e->code), "hook_failed");
	switch (o->end) {
	case DFS_HOOK_EXITED:
		if (o->status == 0) {
			d->status = DFS_DELIVERY_SUCCESS;
			e->code[0] = '\0';
			return 0;
		}
		snprintf(e->message, sizeof(e->message),
			 "the hook exited with status %d: %s", o->status,
			 o->tail);
		break;
	case DFS_HOOK_SIGNALED:
		snprintf(e->message, sizeof(e->message),
			 "the hook was killed by signal %d: %s", o->status,
			 o->tail);
		break;
	case DFS_HOOK_TIMED_OUT:
		snprintf(e->code, sizeof(e->code), "hook_timeout");
		snprintf(e->message, sizeof(e->message),
			 "the hook ran past %u s and was killed: %s",
			 o->timeout_s, o->tail);
		break;
	case DFS_HOOK_NOT_RUN:
		snprintf(e->message, sizeof(e->message),
			 "cannot run the hook %s: %s", o->hook,
			 strerror(-o->status));
		break;
	case DFS_HOOK_STOPPED:
		/* Left pending: the next start marks it interrupted. */
		return -ECANCELED;
	}
	return 0;
}

/* Claim, fetch, run and settle the node's delivery of @rec. */
static int deliver_one(struct dfs_store *st, struct dfs_hooks *h,
		       const struct dfs_record *rec)
{
	struct dfs_catalog *cat = dfs_store_catalog(st);
	struct sink sink = {cat, rec->id};
	struct dfs_delivery d;
	char hook[PATH_MAX];
	int fd, rc;

	rc = dfs_delivery_pg_claim(cat, rec, &d);
	if (rc)
		return rc;
	/* Into the cache, checked against its hash. */
	rc = dfs_blobs_open(dfs_store_blobs(st), rec->payload_hash, &fd);
	if (rc) {
		d.status = DFS_DELIVERY_FAILED;
		snprintf(d.error.code, sizeof(d.error.code), "%s",
			 rc == -ENOSPC ? "no_space" : "io_error");
		snprintf(d.error.message, sizeof(d.error.message),
			 "cannot fetch the payload: %s", strerror(-rc));
		return dfs_delivery_pg_settle(cat, &d);
	}
	close(fd);
	if (!h || !dfs_hooks_find(h, rec->project, hook, sizeof(hook))) {
		d.status = DFS_DELIVERY_SUCCESS;
		return dfs_delivery_pg_settle(cat, &d);
	}
	rc = dfs_hooks_run(h, rec, hook, dfs_catalog_node(cat), to_catalog,
			   &sink, outcome, &d);
	if (rc)
		return rc;
	return dfs_delivery_pg_settle(cat, &d);
}

int dfs_follower_catch_up(struct dfs_store *st, struct dfs_hooks *h,
			  unsigned *n)
{
	struct dfs_catalog *cat = dfs_store_catalog(st);
	struct dfs_record rec;
	unsigned count = 0;
	int rc;

	while ((rc = dfs_delivery_pg_next(cat, &rec)) == 0) {
		rc = deliver_one(st, h, &rec);
		if (rc == -EEXIST)
			continue; /* another session of ours: never twice */
		if (rc)
			break;
		count++;
	}
	if (rc == -ENOENT)
		rc = 0;
	if (n)
		*n = count;
	return rc;
}

static bool stopping(struct dfs_follower *f)
{
	bool stop;

	pthread_mutex_lock(&f->lock);
	stop = f->stop;
	pthread_mutex_unlock(&f->lock);
	return stop;
}

static void *follow_main(void *arg)
{
	struct dfs_follower *f = arg;
	bool due = true;

	while (!stopping(f)) {
		int rc;

		if (due &&
		    dfs_follower_catch_up(f->st, f->h, NULL) == -ECANCELED)
			break;
		/* A second at most, to see the stop flag. */
		rc = dfs_delivery_listener_wait(f->l, 1000);
		due = rc != 0; /* announcements, a reconnection, or an error */
		if (rc < 0 && rc != -EINTR)
			sleep(1);
	}
	return NULL;
}

int dfs_follower_start(struct dfs_store *st, struct dfs_hooks *h,
		       const struct dfs_follower_conf *conf,
		       struct dfs_follower **out)
{
	struct dfs_catalog *cat = dfs_store_catalog(st);
	struct dfs_follower *f;
	unsigned n;
	int rc;

	rc = dfs_delivery_pg_follow(cat, conf->projects, conf->n);
	if (!rc)
		rc = dfs_delivery_pg_recover(cat, &n);
	if (rc)
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->st = st;
	f->h = h;
	pthread_mutex_init(&f->lock, NULL);
	rc = dfs_delivery_listener_open(conf->conninfo, &f->l);
	if (!rc)
		rc = -pthread_create(&f->thread, NULL, follow_main, f);
	if (rc) {
		dfs_delivery_listener_close(f->l);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void dfs_follower_stop(struct dfs_follower *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	dfs_delivery_listener_close(f->l);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
