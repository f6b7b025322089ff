/* dropbox_attr — setattr, rename and unlink in deploy/ (see dropbox.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "dropbox_impl.h"
#include "isotime.h"
#include "uuid7.h"

/* Truncate @n's payload, starting its deployment if needed. */
static int node_truncate(struct dfs_dropbox *db, struct node *n, uint64_t size,
			 const struct dfs_caller *caller)
{
	int rc = 0;

	pthread_mutex_lock(&n->lock);
	if (n->dep || n->has_seed || size != 0) {
		rc = dfs_dropbox_draft_start(db, n, caller);
		if (!rc)
			rc = dfs_deploy_truncate(n->dep, size);
	}
	if (!rc)
		n->mtime = n->ctime = dfs_dropbox_now();
	pthread_mutex_unlock(&n->lock);
	return rc;
}

static void node_set(struct node *n, const struct dfs_setattr *sa)
{
	pthread_mutex_lock(&n->lock);
	if (sa->mask & DFS_SET_MODE)
		n->attr.mode = sa->mode & 07777;
	if (sa->mask & DFS_SET_UID)
		n->attr.uid = sa->uid;
	if (sa->mask & DFS_SET_GID)
		n->attr.gid = sa->gid;
	if (sa->mask & (DFS_SET_MODE | DFS_SET_UID | DFS_SET_GID))
		n->attr_set = true;
	if (sa->mask & DFS_SET_ATIME)
		n->atime = sa->atime;
	if (sa->mask & DFS_SET_MTIME) {
		n->mtime = sa->mtime;
		n->mtime_set = true;
	}
	n->ctime = dfs_dropbox_now();
	pthread_mutex_unlock(&n->lock);
}

/*
 * utimens on a project: its open writers that have written and not
 * committed yet take the time (cp -p sets it before close). Returns how
 * many did.
 */
struct route {
	const char *project;
	const struct dfs_setattr *sa;
	unsigned count;
};

static void route_node(struct node *n, void *arg)
{
	struct route *r = arg;
	bool open_writer;

	if (n->staging || n->link || strcmp(n->project, r->project) != 0)
		return;
	/*
	 * Only a writer that wrote: touch opens the project and writes
	 * nothing, and its time is the current deployment's.
	 */
	pthread_mutex_lock(&n->lock);
	open_writer = n->dep && !dfs_deploy_settled(n->dep);
	pthread_mutex_unlock(&n->lock);
	if (open_writer) {
		node_set(n, r->sa);
		r->count++;
	}
}

static unsigned route_times(struct dfs_dropbox *db, const char *project,
			    const struct dfs_setattr *sa)
{
	struct route r = {project, sa, 0};

	dfs_dropbox_for_each(db, route_node, &r);
	return r.count;
}

/* utimens with no writer open: the current deployment's source_mtime. */
static int set_current_mtime(struct dfs_dropbox *db, const char *project,
			     const struct timespec *mtime)
{
	struct dfs_record cur;
	struct dfs_project p;
	bool has;
	int rc;

	rc = dfs_dropbox_current(db, project, &p, &cur, &has);
	if (rc || !has)
		return rc;
	cur.source_mtime_ms = dfs_time_from_timespec(mtime);
	cur.source_mtime_ns = (int32_t)(mtime->tv_nsec % 1000000);
	return dfs_catalog_update(dfs_store_catalog(db->st), &cur, NULL, NULL);
}

int dfs_dropbox_may_change(const struct dfs_project_attr *cur, bool may_write,
			   const struct dfs_setattr *sa,
			   const struct dfs_caller *c)
{
	bool owner = c->uid == 0 || c->uid == cur->uid;

	if (c->uid == 0)
		return 0;
	if ((sa->mask & DFS_SET_MODE) && !owner)
		return -EPERM;
	if ((sa->mask & DFS_SET_UID) && sa->uid != cur->uid)
		return -EPERM;
	if ((sa->mask & DFS_SET_GID) && sa->gid != cur->gid &&
	    !(owner && dfs_caller_in_group(c, sa->gid)))
		return -EPERM;
	if ((sa->mask & DFS_SET_SIZE) && !may_write)
		return -EACCES;
	if ((sa->mask & (DFS_SET_ATIME | DFS_SET_MTIME)) && !owner &&
	    !may_write)
		return -EACCES;
	return 0;
}

static int may_change(const struct dfs_project *p, const struct dfs_setattr *sa,
		      const struct dfs_caller *c)
{
	struct dfs_project_attr cur = {p->uid, p->gid, p->mode};

	return dfs_dropbox_may_change(
		&cur, dfs_project_may(p, c, DFS_MAY_WRITE), sa, c);
}

static int project_setattr(struct dfs_dropbox *db, uint64_t pseq,
			   struct dfs_dbfile *f, const struct dfs_setattr *sa,
			   const struct dfs_caller *caller)
{
	struct dfs_project_attr attr;
	struct dfs_dbfile *tf;
	struct dfs_project p;
	int rc;

	rc = dfs_catalog_project_get_seq(dfs_store_catalog(db->st), pseq, &p);
	if (!rc)
		rc = may_change(&p, sa, caller);
	if (rc)
		return rc;
	if (sa->mask & (DFS_SET_MODE | DFS_SET_UID | DFS_SET_GID)) {
		attr = (struct dfs_project_attr){
			sa->mask & DFS_SET_UID ? sa->uid : p.uid,
			sa->mask & DFS_SET_GID ? sa->gid : p.gid,
			sa->mask & DFS_SET_MODE ? sa->mode : p.mode};
		rc = dfs_catalog_project_set_attr(dfs_store_catalog(db->st),
						  p.name, &attr);
		if (rc)
			return rc;
	}
	if (sa->mask & DFS_SET_SIZE) {
		if (f && f->node)
			return node_truncate(db, f->node, sa->size, caller);
		/* truncate(2) with nothing open: a deployment of its own. */
		rc = dfs_dropbox_open(db, DFS_DB_PROJECT, pseq, O_WRONLY,
				      caller, &tf);
		if (rc)
			return rc;
		rc = node_truncate(db, tf->node, sa->size, caller);
		if (!rc)
			rc = dfs_dbfile_flush(tf);
		dfs_dbfile_close(tf);
		if (rc)
			return rc;
	}
	if ((sa->mask & (DFS_SET_ATIME | DFS_SET_MTIME)) &&
	    route_times(db, p.name, sa) == 0 && (sa->mask & DFS_SET_MTIME))
		rc = set_current_mtime(db, p.name, &sa->mtime);
	return rc;
}

/* A staging file that names no project is a file of its own. */
static int node_may_change(struct dfs_dropbox *db, struct node *n,
			   const struct dfs_setattr *sa,
			   const struct dfs_caller *c)
{
	struct dfs_project_attr a;
	struct dfs_project p;

	if (n->project[0])
		return dfs_dropbox_may(db, n->project, c, DFS_MAY_WRITE);
	pthread_mutex_lock(&n->lock);
	a = n->attr;
	pthread_mutex_unlock(&n->lock);
	p = (struct dfs_project){.uid = a.uid, .gid = a.gid, .mode = a.mode};
	return dfs_dropbox_may_change(&a, dfs_project_may(&p, c, DFS_MAY_WRITE),
				      sa, c);
}

int dfs_dropbox_setattr(struct dfs_dropbox *db, enum dfs_dbkind kind,
			uint64_t num, struct dfs_dbfile *f,
			const struct dfs_setattr *sa,
			const struct dfs_caller *caller, struct dfs_dbstat *out)
{
	uint64_t pseq = 0;
	struct node *n;
	int rc = 0;

	/* Refused before a deployment starts or a payload is copied. */
	if ((sa->mask & DFS_SET_SIZE) &&
	    sa->size > dfs_deploy_max_payload(db->conf))
		return -EFBIG;
	if (kind == DFS_DB_DIR) {
		rc = dfs_dropbox_sdir_setattr(db, num, sa, caller);
	} else if (kind == DFS_DB_PROJECT || kind == DFS_DB_VIEW) {
		rc = kind == DFS_DB_VIEW
			     ? dfs_dropbox_view_project(db, num, &pseq)
			     : 0;
		if (!rc)
			rc = project_setattr(db,
					     kind == DFS_DB_VIEW ? pseq : num,
					     f, sa, caller);
	} else {
		n = dfs_dropbox_node_find(db, NULL, num);
		if (!n)
			return -ENOENT;
		rc = node_may_change(db, n, sa, caller);
		if (!rc && (sa->mask & DFS_SET_SIZE))
			rc = node_truncate(db, n, sa->size, caller);
		if (!rc)
			node_set(n, sa);
		dfs_dropbox_node_put(db, n);
	}
	return rc ? rc : dfs_dropbox_stat(db, kind, num, out);
}

/* Take a staging file out of the directory: drop the link's reference. */
static void node_unlink(struct dfs_dropbox *db, struct node *n)
{
	bool was;

	pthread_mutex_lock(&db->lock);
	was = n->linked;
	n->linked = false;
	pthread_mutex_unlock(&db->lock);
	if (was)
		dfs_dropbox_node_put(db, n);
}

/* The id at the end of a link target: "<id>", "…/deployments/<id>[/]". */
static int link_target(const char *target, uint8_t id[16])
{
	char buf[64];
	size_t n = strlen(target);

	while (n > 0 && target[n - 1] == '/')
		n--;
	if (n < 36 || (n > 36 && target[n - 37] != '/'))
		return -EINVAL;
	memcpy(buf, target + n - 36, 36);
	buf[36] = '\0';
	return dfs_uuid7_parse(buf, id);
}

int dfs_dropbox_symlink(struct dfs_dropbox *db, const char *name,
			const char *target, const struct dfs_caller *caller,
			struct dfs_dbstat *out)
{
	struct dfs_project_attr attr = {caller->uid, caller->gid, 0777};
	struct dfs_record r;
	struct node *n;
	uint8_t id[16];
	int rc;

	if (strlen(name) >= sizeof(n->name) || strchr(name, '/'))
		return -EINVAL;
	rc = link_target(target, id);
	if (!rc)
		rc = dfs_catalog_get(dfs_store_catalog(db->st), id, &r);
	if (!rc)
		rc = dfs_dropbox_may(db, r.project, caller, DFS_MAY_WRITE);
	if (rc)
		return rc;
	n = dfs_dropbox_node_find(db, name, 0);
	if (n || dfs_dropbox_lookup(db, name, out) == 0) {
		if (n)
			dfs_dropbox_node_put(db, n);
		return -EEXIST;
	}
	n = dfs_dropbox_node_new(db, name, r.project, false, &attr);
	if (!n)
		return -ENOMEM;
	n->link = true;
	memcpy(n->target, id, 16);
	pthread_mutex_lock(&db->lock);
	n->refs++; /* the directory's */
	n->linked = true;
	pthread_mutex_unlock(&db->lock);
	dfs_dropbox_stat(db, DFS_DB_NODE, n->num, out);
	dfs_dropbox_node_put(db, n);
	return 0;
}

int dfs_dropbox_readlink(struct dfs_dropbox *db, uint64_t num, char *buf,
			 size_t size)
{
	struct node *n = dfs_dropbox_node_find(db, NULL, num);
	char id[37];
	int rc = 0;

	if (!n)
		return -ENOENT;
	if (!n->link)
		rc = -EINVAL;
	dfs_uuid7_format(n->target, id);
	if (!rc && (size_t)snprintf(buf, size, "../deployments/%s", id) >= size)
		rc = -ENAMETOOLONG;
	dfs_dropbox_node_put(db, n);
	return rc;
}

/* Rename of a link onto its project: roll the project back to it. */
static int rollback_link(struct dfs_dropbox *db, struct node *n, const char *to,
			 const struct dfs_caller *caller)
{
	struct dfs_record out;
	struct dfs_who who;
	int rc;

	if (strcmp(n->project, to) != 0)
		return -EINVAL;
	dfs_who_fill(&who, caller->uid, caller->gid, caller->pid);
	rc = dfs_deploy_rollback(db->st, db->conf, to, n->target, &who, &out);
	return rc == -EXDEV ? -EINVAL : rc;
}

/*
 * May @c put a deployment on deploy/@to? Write permission on the project
 * if it exists, on deploy/ if not; and by the sticky bit, the right to
 * replace a drop box that is shown. 0, -EACCES or -EPERM.
 */
static int may_replace(struct dfs_dropbox *db, const char *to,
		       const struct dfs_caller *c, bool *new_project)
{
	struct dfs_project p;
	int rc = dfs_catalog_project_get(dfs_store_catalog(db->st), to, &p);

	*new_project = rc == -ENOENT;
	if (rc == -ENOENT)
		return dfs_dropbox_dir_may_write(db, c) ? 0 : -EACCES;
	if (rc)
		return rc;
	if (!p.hidden && !dfs_dropbox_may_delete(db, p.uid, c))
		return -EPERM;
	return dfs_project_may(&p, c, DFS_MAY_WRITE) ? 0 : -EACCES;
}

/* Rename of a staging file onto @to: commit it as a deployment of @to. */
static int rename_staging(struct dfs_dropbox *db, struct node *n,
			  const char *to, bool new_project,
			  const struct dfs_caller *caller)
{
	int rc;

	if (n->project[0] && strcmp(n->project, to) != 0)
		return -EINVAL; /* rsync's names name their project */
	pthread_mutex_lock(&n->lock);
	rc = dfs_dropbox_draft_start(db, n, caller);
	if (!rc && !n->project[0]) {
		/* Its record appears now, with the first byte's time. */
		rc = dfs_deploy_name(n->dep, to, new_project ? &n->attr : NULL);
		if (!rc) {
			snprintf(n->project, sizeof(n->project), "%s", to);
			n->new_project = new_project;
		}
	}
	if (!rc)
		rc = dfs_dropbox_draft_commit(db, n);
	pthread_mutex_unlock(&n->lock);
	return rc;
}

int dfs_dropbox_rename(struct dfs_dropbox *db, const char *from, const char *to,
		       const struct dfs_caller *caller)
{
	struct dfs_project p;
	bool new_project;
	struct node *n;
	int rc;

	n = dfs_dropbox_node_find(db, from, 0);
	if (!n) {
		if (dfs_dropbox_is_dir(db, from))
			return -EPERM; /* staging directories stay put */
		if (!dfs_name_is_project(from) ||
		    dfs_catalog_project_get(dfs_store_catalog(db->st), from,
					    &p) != 0 ||
		    p.hidden)
			return -ENOENT;
		/* cp -b, install -b, rsync -b: the history is the backup. */
		return dfs_dropbox_backup_rename(db, from, to, caller);
	}
	/* As the kernel would: write on its directory, and its sticky bit. */
	rc = dfs_dropbox_parent_may(db, from, &n->attr.uid, caller);
	if (!rc && dfs_dropbox_staging_path(to)) {
		/* To another staging name: a move, committing nothing. */
		rc = dfs_dropbox_move(db, n, to, caller);
		dfs_dropbox_node_put(db, n);
		return rc;
	}
	if (!rc && !dfs_dropbox_dir_may_write(db, caller))
		rc = -EACCES;
	if (!rc && !dfs_name_is_project(to))
		rc = -EINVAL;
	if (!rc && n->project[0])
		rc = dfs_dropbox_may(db, n->project, caller, DFS_MAY_WRITE);
	if (!rc)
		rc = may_replace(db, to, caller, &new_project);
	if (!rc)
		rc = n->link ? rollback_link(db, n, to, caller)
			     : rename_staging(db, n, to, new_project, caller);
	if (!rc)
		node_unlink(db, n);
	dfs_dropbox_node_put(db, n);
	return rc;
}

int dfs_dropbox_may_hide(struct dfs_dropbox *db, const struct dfs_project *p,
			 const struct dfs_caller *c)
{
	if (!dfs_dropbox_dir_may_write(db, c))
		return -EACCES;
	if (!dfs_dropbox_may_delete(db, p->uid, c))
		return -EPERM;
	return dfs_project_may(p, c, DFS_MAY_WRITE) ? 0 : -EACCES;
}

/*
 * unlink of a project: it stays, with its history, and only leaves
 * deploy/ until its next deployment (so install, mv and
 * cp --remove-destination redeploy). Whoever may deploy to it may, within
 * deploy/'s sticky bit.
 */
static int hide_project(struct dfs_dropbox *db, const char *name,
			const struct dfs_caller *c)
{
	struct dfs_project p;
	int rc = dfs_catalog_project_get(dfs_store_catalog(db->st), name, &p);

	if (rc)
		return rc;
	if (p.hidden)
		return -ENOENT;
	rc = dfs_dropbox_may_hide(db, &p, c);
	return rc ? rc
		  : dfs_catalog_project_hide(dfs_store_catalog(db->st), name);
}

int dfs_dropbox_unlink(struct dfs_dropbox *db, const char *name,
		       const struct dfs_caller *caller)
{
	struct node *n;
	int rc;

	n = dfs_dropbox_node_find(db, name, 0);
	if (!n) {
		if (dfs_dropbox_is_dir(db, name))
			return -EISDIR;
		return dfs_name_is_project(name)
			       ? hide_project(db, name, caller)
			       : dfs_dropbox_backup_unlink(db, name, caller);
	}
	rc = dfs_dropbox_parent_may(db, name, &n->attr.uid, caller);
	if (!rc && n->project[0])
		rc = dfs_dropbox_may(db, n->project, caller, DFS_MAY_WRITE);
	if (!rc)
		node_unlink(db, n);
	dfs_dropbox_node_put(db, n);
	return rc;
}
