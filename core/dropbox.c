/* dropbox — see dropbox.h. Open files, staging files and their drafts. */
#include "dropbox.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "deploy.h"
#include "dropbox_impl.h"
#include "isotime.h"

/* ---- nodes ------------------------------------------------------------- */

struct node *dfs_dropbox_node_new(struct dfs_dropbox *db, const char *name,
				  const char *project, bool staging,
				  const struct dfs_project_attr *attr)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->project, sizeof(n->project), "%s", project);
	n->staging = staging;
	n->attr = *attr;
	n->atime = n->mtime = n->ctime = dfs_dropbox_now();
	pthread_mutex_lock(&db->lock);
	n->num = ++db->next_num;
	n->refs = 1;
	n->next = db->nodes;
	db->nodes = n;
	pthread_mutex_unlock(&db->lock);
	return n;
}

static void node_unlink_locked(struct dfs_dropbox *db, struct node *n)
{
	for (struct node **p = &db->nodes; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			n->next = NULL;
			n->linked = false;
			return;
		}
}

/* Drop a reference; the last one frees the node (abandoning its draft). */
void dfs_dropbox_node_put(struct dfs_dropbox *db, struct node *n)
{
	bool last;

	pthread_mutex_lock(&db->lock);
	last = --n->refs == 0;
	if (last)
		node_unlink_locked(db, n);
	pthread_mutex_unlock(&db->lock);
	if (!last)
		return;
	dfs_deploy_abort(n->dep);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

struct node *dfs_dropbox_node_find(struct dfs_dropbox *db, const char *name,
				   uint64_t num)
{
	struct node *n;

	pthread_mutex_lock(&db->lock);
	for (n = db->nodes; n; n = n->next)
		if (name ? n->linked && strcmp(n->name, name) == 0
			 : n->num == num)
			break;
	if (n)
		n->refs++;
	pthread_mutex_unlock(&db->lock);
	return n;
}

void dfs_dropbox_node_stat(struct node *n, struct dfs_dbstat *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&n->lock);
	out->kind = DFS_DB_NODE;
	out->num = n->num;
	out->uid = n->attr.uid;
	out->gid = n->attr.gid;
	out->mode = n->attr.mode;
	out->link = n->link;
	out->size = n->link  ? DFS_LINK_LEN
		    : n->dep ? dfs_deploy_size(n->dep)
			     : n->seed_size;
	out->atime = n->atime;
	out->mtime = n->mtime;
	out->ctime = n->ctime;
	pthread_mutex_unlock(&n->lock);
}

/*
 * Make sure @n has a deployment in progress: begin one (from the seed, if
 * any), or follow a committed one with a new deployment that starts from
 * its payload. Called with n->lock held.
 */
int dfs_dropbox_draft_start(struct dfs_dropbox *db, struct node *n,
			    const struct dfs_caller *caller)
{
	struct dfs_project p;
	struct dfs_who who;
	int rc;

	if (n->dep && dfs_deploy_settled(n->dep)) {
		const struct dfs_record *r = dfs_deploy_record(n->dep);

		if (r->status != DFS_STATUS_SUCCESS)
			return 0; /* the next call reports the failure */
		memcpy(n->seed, r->payload_hash, 32);
		n->has_seed = true;
		n->seed_size = r->payload_size;
		dfs_deploy_free(n->dep);
		n->dep = NULL;
	}
	if (n->dep)
		return 0;
	dfs_who_fill(&who, caller->uid, caller->gid, caller->pid);
	if (!n->project[0])
		/* A staging file that names no project: named at its rename. */
		return dfs_deploy_begin(db->st, db->conf, NULL, &who, NULL,
					&n->dep);
	n->new_project = dfs_catalog_project_get(dfs_store_catalog(db->st),
						 n->project, &p) == -ENOENT;
	rc = dfs_deploy_begin(db->st, db->conf, n->project, &who, &n->attr,
			      &n->dep);
	if (rc)
		return rc;
	if (n->has_seed)
		rc = dfs_deploy_seed(n->dep, n->seed);
	return rc;
}

/* Commit @n's deployment, if it has one. Called with n->lock held. */
int dfs_dropbox_draft_commit(struct dfs_dropbox *db, struct node *n)
{
	if (!n->dep)
		return 0;
	/*
	 * A deploy sets the owner and mode of a new project only: rsync's
	 * chmod/chown of its temp file must not re-permission an existing
	 * project's history (chmod/chown deploy/<project> does that).
	 */
	return dfs_deploy_commit(n->dep, n->mtime_set ? &n->mtime : NULL,
				 n->new_project ? &n->attr : NULL);
}

/* ---- projects ---------------------------------------------------------- */

/* The project @name and, when it has one, its current record. */
int dfs_dropbox_current(struct dfs_dropbox *db, const char *name,
			struct dfs_project *p, struct dfs_record *cur,
			bool *has_cur)
{
	int rc = dfs_catalog_project_get(dfs_store_catalog(db->st), name, p);

	*has_cur = false;
	if (rc || !p->has_current)
		return rc;
	rc = dfs_catalog_get(dfs_store_catalog(db->st), p->current, cur);
	*has_cur = rc == 0;
	return rc;
}

/*
 * On a shared catalog, a project whose first deployment is still in
 * flight: no name yet, so that cp's O_CREAT | O_EXCL of the same new
 * project at the same time on another host is not refused EEXIST before
 * it reaches dfs_dropbox_create, which adopts the project. Not on one
 * host: there a cp started during the first deploy would take the name
 * for free, use O_EXCL, and be refused by the kernel once that deploy
 * commits (concurrent first deploys on one host work without it).
 */
static bool first_in_flight(struct dfs_dropbox *db, const struct dfs_project *p)
{
	struct dfs_catalog *cat = dfs_store_catalog(db->st);
	struct dfs_project_counts n;

	if (p->has_current || !dfs_catalog_shared(cat) ||
	    dfs_catalog_project_count(cat, p->name, &n))
		return false;
	return n.success == 0 && n.failed == 0;
}

/* Project @p as deploy/ shows it with deployment @shown (NULL: none). */
static void project_fill(const struct dfs_project *p,
			 const struct dfs_record *shown, struct dfs_dbstat *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = DFS_DB_PROJECT;
	out->num = p->pseq;
	out->uid = p->uid;
	out->gid = p->gid;
	out->mode = p->mode;
	out->ctime = dfs_time_to_timespec(p->ctime_ms);
	out->mtime = dfs_time_to_timespec(p->created_ms);
	if (shown) {
		out->size = shown->payload_size;
		out->mtime = dfs_time_to_timespec(shown->source_mtime_ms);
		out->mtime.tv_nsec += shown->source_mtime_ns;
		if (shown->completed_ms > p->ctime_ms)
			out->ctime = dfs_time_to_timespec(shown->completed_ms);
	}
	out->atime = out->mtime;
}

/*
 * By name (@lookup), a hidden project, or one whose first deployment is in
 * flight, is not there, and one with a deployment is shown as its view;
 * by number it is there, as the project.
 */
static int project_stat(struct dfs_dropbox *db, const char *name, bool lookup,
			struct dfs_dbstat *out)
{
	struct dfs_record cur;
	struct dfs_project p;
	bool has;
	int rc;

	rc = dfs_dropbox_current(db, name, &p, &cur, &has);
	if (rc)
		return rc;
	if (lookup && (p.hidden || first_in_flight(db, &p)))
		return -ENOENT;
	project_fill(&p, has ? &cur : NULL, out);
	if (has && lookup)
		out->view = cur.seq;
	return 0;
}

/* The deployment view @seq shows, and its project. */
static int view_resolve(struct dfs_dropbox *db, uint64_t seq,
			struct dfs_record *r, struct dfs_project *p)
{
	struct dfs_catalog *cat = dfs_store_catalog(db->st);
	int rc;

	rc = dfs_catalog_get_seq(cat, seq, r);
	if (!rc)
		rc = dfs_catalog_project_get(cat, r->project, p);
	return rc == -ENOENT ? -ESTALE : rc;
}

int dfs_dropbox_view_project(struct dfs_dropbox *db, uint64_t seq,
			     uint64_t *pseq)
{
	struct dfs_record r;
	struct dfs_project p;
	int rc;

	rc = view_resolve(db, seq, &r, &p);
	if (!rc)
		*pseq = p.pseq;
	return rc;
}

int dfs_dropbox_lookup(struct dfs_dropbox *db, const char *name,
		       struct dfs_dbstat *out)
{
	struct node *n;

	/* Staging files and links (whatever their names) first. */
	n = dfs_dropbox_node_find(db, name, 0);
	if (n) {
		dfs_dropbox_node_stat(n, out);
		dfs_dropbox_node_put(db, n);
		return 0;
	}
	if (dfs_name_is_project(name))
		return project_stat(db, name, true, out);
	return dfs_dropbox_sdir_lookup(db, name, out);
}

int dfs_dropbox_stat(struct dfs_dropbox *db, enum dfs_dbkind kind, uint64_t num,
		     struct dfs_dbstat *out)
{
	struct dfs_record r;
	struct dfs_project p;
	struct node *n;
	int rc;

	if (kind == DFS_DB_PROJECT) {
		rc = dfs_catalog_project_get_seq(dfs_store_catalog(db->st), num,
						 &p);
		return rc ? rc : project_stat(db, p.name, false, out);
	}
	if (kind == DFS_DB_VIEW) {
		rc = view_resolve(db, num, &r, &p);
		if (rc)
			return rc;
		project_fill(&p, &r, out);
		out->view = num;
		return 0;
	}
	if (kind == DFS_DB_DIR)
		return dfs_dropbox_dir_stat_num(db, num, out);
	n = dfs_dropbox_node_find(db, NULL, num);
	if (!n)
		return -ENOENT;
	dfs_dropbox_node_stat(n, out);
	dfs_dropbox_node_put(db, n);
	return 0;
}

/* ---- handles ----------------------------------------------------------- */

int dfs_dropbox_may(struct dfs_dropbox *db, const char *project,
		    const struct dfs_caller *c, unsigned want)
{
	struct dfs_project p;
	int rc =
		dfs_catalog_project_get(dfs_store_catalog(db->st), project, &p);

	if (rc == -ENOENT)
		return dfs_dropbox_dir_may_write(db, c) ? 0 : -EACCES;
	if (rc)
		return rc;
	return dfs_project_may(&p, c, want) ? 0 : -EACCES;
}

/*
 * A handle on project @name (existing: @p set). Writers get a private
 * node; readers of an existing project get its current payload's blob,
 * or with @bound (a view), that deployment's.
 */
static int open_project_as(struct dfs_dropbox *db, const char *name,
			   const struct dfs_project *p,
			   const struct dfs_record *bound, int flags,
			   const struct dfs_project_attr *attr,
			   struct dfs_dbfile **out)
{
	struct dfs_dbfile *f;
	struct dfs_record cur;
	struct dfs_project pp;
	bool has = false;
	int rc;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->db = db;
	f->flags = flags;
	if (bound && !dfs_dropbox_writable(flags)) {
		cur = *bound;
		has = true;
		f->kind = DFS_DB_VIEW;
		f->num = bound->seq;
	} else if (p) {
		rc = dfs_dropbox_current(db, name, &pp, &cur, &has);
		if (rc)
			goto out_free;
		f->kind = DFS_DB_PROJECT;
		f->num = pp.pseq;
	}
	if (has && (!dfs_dropbox_writable(flags) || !(flags & O_TRUNC))) {
		rc = dfs_reader_open(db->st, &cur, &f->reader);
		if (rc)
			goto out_free;
	}
	if (dfs_dropbox_writable(flags)) {
		f->node = dfs_dropbox_node_new(db, name, name, false, attr);
		if (!f->node) {
			rc = -ENOMEM;
			goto out_close;
		}
		if (has && !(flags & O_TRUNC)) {
			memcpy(f->node->seed, cur.payload_hash, 32);
			f->node->has_seed = true;
			f->node->seed_size = cur.payload_size;
		}
		if (!p) {
			f->kind = DFS_DB_NODE;
			f->num = f->node->num;
		}
	}
	*out = f;
	return 0;

out_close:
	dfs_reader_close(f->reader);
out_free:
	free(f);
	return rc;
}

static int open_project(struct dfs_dropbox *db, const char *name,
			const struct dfs_project *p, int flags,
			const struct dfs_project_attr *attr,
			struct dfs_dbfile **out)
{
	return open_project_as(db, name, p, NULL, flags, attr, out);
}

static int open_staging(struct dfs_dropbox *db, const char *name,
			const char *project, int flags, bool create,
			const struct dfs_project_attr *attr,
			struct dfs_dbfile **out)
{
	struct dfs_dbfile *f;
	struct node *n;
	int rc = 0;

	n = dfs_dropbox_node_find(db, name, 0);
	if (n && create && (flags & O_EXCL)) {
		dfs_dropbox_node_put(db, n);
		return -EEXIST;
	}
	if (!n && !create)
		return -ENOENT;
	if (!n) {
		n = dfs_dropbox_node_new(db, name, project, true, attr);
		if (!n)
			return -ENOMEM;
		/* The directory entry holds a reference of its own. */
		pthread_mutex_lock(&db->lock);
		n->refs++;
		n->linked = true;
		pthread_mutex_unlock(&db->lock);
	} else if (dfs_dropbox_writable(flags) && (flags & O_TRUNC)) {
		pthread_mutex_lock(&n->lock);
		if (n->dep)
			rc = dfs_deploy_truncate(n->dep, 0);
		pthread_mutex_unlock(&n->lock);
	}
	f = rc ? NULL : calloc(1, sizeof(*f));
	if (!f) {
		dfs_dropbox_node_put(db, n);
		return rc ? rc : -ENOMEM;
	}
	f->db = db;
	f->flags = flags;
	f->node = n;
	f->kind = DFS_DB_NODE;
	f->num = n->num;
	*out = f;
	return 0;
}

/* Who may open a staging file: its project's writers, or by its mode. */
static int staging_may(struct dfs_dropbox *db, struct node *n, int flags,
		       const struct dfs_caller *c)
{
	struct dfs_project p = {
		.uid = n->attr.uid, .gid = n->attr.gid, .mode = n->attr.mode};
	unsigned want = 0;

	if (n->project[0])
		return dfs_dropbox_may(db, n->project, c, DFS_MAY_WRITE);
	if ((flags & O_ACCMODE) != O_WRONLY)
		want |= DFS_MAY_READ;
	if (dfs_dropbox_writable(flags))
		want |= DFS_MAY_WRITE;
	return dfs_project_may(&p, c, want) ? 0 : -EACCES;
}

static int create_staging(struct dfs_dropbox *db, const char *name, int flags,
			  const struct dfs_project_attr *attr,
			  const struct dfs_caller *caller,
			  struct dfs_dbfile **out)
{
	char project[DFS_PROJECT_MAX + 1] = "";
	/* One in a staging directory is named at its rename, whatever. */
	bool named =
		!strchr(name, '/') && dfs_name_parse_staging(name, project);
	struct node *n;
	int rc;

	if (dfs_dropbox_is_dir(db, name))
		return flags & O_EXCL ? -EEXIST : -EISDIR;
	n = dfs_dropbox_node_find(db, name, 0);
	if (n) {
		rc = staging_may(db, n, flags, caller);
		dfs_dropbox_node_put(db, n);
	} else {
		rc = dfs_dropbox_parent_may(db, name, NULL, caller);
		/* rsync's: refused early by a project we may not write. */
		if (!rc && named)
			rc = dfs_dropbox_may(db, project, caller,
					     DFS_MAY_WRITE);
	}
	return rc ? rc
		  : open_staging(db, name, project, flags, true, attr, out);
}

int dfs_dropbox_create(struct dfs_dropbox *db, const char *name, int flags,
		       uint32_t mode, const struct dfs_caller *caller,
		       struct dfs_dbfile **out)
{
	struct dfs_project_attr attr = {caller->uid, caller->gid, mode & 07777};
	struct dfs_project p;
	int rc;

	if (dfs_dropbox_staging_path(name))
		return create_staging(db, name, flags, &attr, caller, out);
	if (!dfs_name_is_project(name))
		return -EINVAL;
	rc = dfs_catalog_project_get(dfs_store_catalog(db->st), name, &p);
	if (rc == 0 && !p.hidden) {
		if (!dfs_project_may(&p, caller,
				     dfs_dropbox_writable(flags)
					     ? DFS_MAY_WRITE
					     : DFS_MAY_READ))
			return -EACCES;
		/*
		 * O_EXCL: taken by a project with a current payload. One with
		 * none yet is a first deploy in flight, on this host or on
		 * another sharing the catalog, begun between the caller's
		 * lookup and this create: the create adopts the project.
		 */
		if ((flags & O_EXCL) && p.has_current)
			return -EEXIST;
		attr = (struct dfs_project_attr){p.uid, p.gid, p.mode};
		return open_project(db, name, &p, flags, &attr, out);
	}
	if (rc && rc != -ENOENT)
		return rc;
	/*
	 * A new name in deploy/: a new project, or one unlinked from deploy/
	 * (install, mv, cp --remove-destination), which only those who may
	 * deploy to it may bring back. Either way a new file, seeded with
	 * nothing, whose first write starts the deployment.
	 */
	if (!dfs_dropbox_dir_may_write(db, caller) ||
	    (rc == 0 && !dfs_project_may(&p, caller, DFS_MAY_WRITE)))
		return -EACCES;
	return open_project(db, name, NULL, flags, &attr, out);
}

int dfs_dropbox_open(struct dfs_dropbox *db, enum dfs_dbkind kind, uint64_t num,
		     int flags, const struct dfs_caller *caller,
		     struct dfs_dbfile **out)
{
	char name[DFS_DROPBOX_PATH_MAX + 1];
	struct dfs_project_attr attr;
	struct dfs_record bound;
	struct dfs_project p;
	struct node *n;
	int rc;

	if (kind == DFS_DB_DIR)
		return -EISDIR;
	if (kind == DFS_DB_PROJECT || kind == DFS_DB_VIEW) {
		rc = kind == DFS_DB_VIEW
			     ? view_resolve(db, num, &bound, &p)
			     : dfs_catalog_project_get_seq(
				       dfs_store_catalog(db->st), num, &p);
		if (rc)
			return rc;
		if (!dfs_project_may(&p, caller,
				     dfs_dropbox_writable(flags)
					     ? DFS_MAY_WRITE
					     : DFS_MAY_READ))
			return -EACCES;
		attr = (struct dfs_project_attr){p.uid, p.gid, p.mode};
		return open_project_as(db, p.name, &p,
				       kind == DFS_DB_VIEW ? &bound : NULL,
				       flags, &attr, out);
	}
	n = dfs_dropbox_node_find(db, NULL, num);
	if (!n)
		return -ENOENT;
	rc = n->staging
		     ? staging_may(db, n, flags, caller)
		     : dfs_dropbox_may(db, n->project, caller, DFS_MAY_WRITE);
	if (rc) {
		dfs_dropbox_node_put(db, n);
		return rc;
	}
	pthread_mutex_lock(&db->lock); /* a rename moves it */
	snprintf(name, sizeof(name), "%s", n->name);
	pthread_mutex_unlock(&db->lock);
	rc = n->staging ? open_staging(db, name, n->project, flags, false,
				       &n->attr, out)
			: -ENOENT; /* a new project's file is its writer's */
	dfs_dropbox_node_put(db, n);
	return rc;
}

#define BATCH 64

void dfs_dropbox_for_each(struct dfs_dropbox *db,
			  void (*fn)(struct node *n, void *arg), void *arg)
{
	struct node *batch[BATCH];
	uint64_t after = 0;
	unsigned k;

	do {
		/* The next nodes by number, referenced under the lock. */
		pthread_mutex_lock(&db->lock);
		for (k = 0; k < BATCH; k++) {
			struct node *best = NULL;

			for (struct node *n = db->nodes; n; n = n->next)
				if (n->num > after &&
				    (!best || n->num < best->num))
					best = n;
			if (!best)
				break;
			best->refs++;
			batch[k] = best;
			after = best->num;
		}
		pthread_mutex_unlock(&db->lock);
		for (unsigned i = 0; i < k; i++) {
			fn(batch[i], arg);
			dfs_dropbox_node_put(db, batch[i]);
		}
	} while (k == BATCH);
}

/* Store the progress of a node's upload, unless the node is busy. */
static void tick_node(struct node *n, void *arg)
{
	if (pthread_mutex_trylock(&n->lock) != 0)
		return; /* committing: its commit stores the count anyway */
	if (n->dep)
		dfs_deploy_save_progress(n->dep);
	pthread_mutex_unlock(&n->lock);
}

void dfs_dropbox_tick(struct dfs_dropbox *db)
{
	dfs_dropbox_for_each(db, tick_node, NULL);
}

int dfs_dropbox_new(struct dfs_store *st, const struct dfs_deploy_conf *conf,
		    struct dfs_dropbox **out)
{
	struct dfs_dropbox *db = calloc(1, sizeof(*db));
	int rc;

	if (!db)
		return -ENOMEM;
	db->st = st;
	db->conf = conf;
	db->owner = (uint32_t)getuid();
	pthread_mutex_init(&db->lock, NULL);
	rc = dfs_dropbox_dir_load(db);
	if (rc) {
		pthread_mutex_destroy(&db->lock);
		free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void dfs_dropbox_free(struct dfs_dropbox *db)
{
	if (!db)
		return;
	/* Only directory references remain once every handle is closed. */
	while (db->nodes) {
		struct node *n = db->nodes;

		pthread_mutex_lock(&db->lock);
		node_unlink_locked(db, n);
		n->refs = 1;
		pthread_mutex_unlock(&db->lock);
		dfs_dropbox_node_put(db, n);
	}
	dfs_dropbox_dirs_free(db);
	dfs_dropbox_backups_free(db);
	pthread_mutex_destroy(&db->lock);
	free(db);
}
