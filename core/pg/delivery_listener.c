/*
 * pg/delivery_listener — a session of its own that wakes a follower when
 * the catalog announces a change (see delivery_pg.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "delivery_pg.h"
#include "pg.h"
#include "pg_notify.h"

struct dfs_delivery_listener {
	struct dfs_pg *pg;
	bool fresh; /* (re)connected since the last wait */
};

static int relisten(void *arg, struct dfs_pg *pg)
{
	struct dfs_delivery_listener *l = arg;

	l->fresh = true;
	return dfs_pg_listen(pg, DFS_PG_CHANNEL);
}

int dfs_delivery_listener_open(const char *conninfo,
			       struct dfs_delivery_listener **out)
{
	struct dfs_delivery_listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	rc = dfs_pg_open(conninfo, &l->pg);
	if (rc) {
		free(l);
		return rc;
	}
	dfs_pg_on_connect(l->pg, relisten, l);
	*out = l;
	return 0;
}

void dfs_delivery_listener_close(struct dfs_delivery_listener *l)
{
	if (!l)
		return;
	dfs_pg_close(l->pg);
	free(l);
}

static int any_note(void *arg, const struct dfs_pg_note *note)
{
	(void)arg;
	(void)note;
	return 0;
}

int dfs_delivery_listener_wait(struct dfs_delivery_listener *l, int timeout_ms)
{
	unsigned n = 0;
	int rc;

	rc = dfs_pg_connect(l->pg);
	if (rc)
		return rc;
	if (l->fresh) {
		l->fresh = false;
		return 1;
	}
	rc = dfs_pg_notify_wait(l->pg, timeout_ms, any_note, NULL, &n);
	if (rc == -EIO)
		dfs_pg_disconnect(l->pg);
	if (rc)
		return rc;
	return n > 0 ? 1 : 0;
}
