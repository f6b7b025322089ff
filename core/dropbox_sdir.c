/*
 * dropbox_sdir — staging directories of deploy/ (see dropbox.h): the
 * directories rsync's --delay-updates and --partial-dir make for their
 * finished files. They live in the daemon's memory, like staging files:
 * a list under the dropbox lock, numbered with the nodes so that one
 * readdir offset orders both. Files in one are nodes named
 * "<dir>/<leaf>"; a directory is never renamed, so the name stays true.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dropbox_impl.h"

/* As a file's attributes: what dfs_project_may judges. */
static bool attr_may(const struct dfs_project_attr *a,
		     const struct dfs_caller *c, unsigned want)
{
	struct dfs_project p = {.uid = a->uid, .gid = a->gid, .mode = a->mode};

	return dfs_project_may(&p, c, want);
}

static struct sdir *find_locked(struct dfs_dropbox *db, const char *name,
				size_t len, uint64_t num)
{
	for (struct sdir *d = db->dirs; d; d = d->next)
		if (name ? strlen(d->name) == len &&
				    memcmp(d->name, name, len) == 0
			 : d->num == num)
			return d;
	return NULL;
}

/* Whether a linked node is named @name. */
static bool node_named_locked(struct dfs_dropbox *db, const char *name)
{
	for (struct node *nd = db->nodes; nd; nd = nd->next)
		if (nd->linked && strcmp(nd->name, name) == 0)
			return true;
	return false;
}

/* Whether a linked node lies in directory @dir. */
static bool node_in_locked(struct dfs_dropbox *db, const char *dir)
{
	size_t n = strlen(dir);

	for (struct node *nd = db->nodes; nd; nd = nd->next)
		if (nd->linked && strncmp(nd->name, dir, n) == 0 &&
		    nd->name[n] == '/')
			return true;
	return false;
}

static bool leaf_ok(const char *leaf)
{
	return leaf[0] && strcmp(leaf, ".") != 0 && strcmp(leaf, "..") != 0 &&
	       !strchr(leaf, '/');
}

bool dfs_dropbox_staging_path(const char *path)
{
	const char *slash = strchr(path, '/');

	if (!slash)
		return dfs_name_is_staging(path);
	return slash > path && leaf_ok(slash + 1) &&
	       strlen(slash + 1) <= DFS_NAME_MAX;
}

bool dfs_dropbox_is_dir(struct dfs_dropbox *db, const char *name)
{
	bool found;

	pthread_mutex_lock(&db->lock);
	found = find_locked(db, name, strlen(name), 0) != NULL;
	pthread_mutex_unlock(&db->lock);
	return found;
}

int dfs_dropbox_parent_may(struct dfs_dropbox *db, const char *path,
			   const uint32_t *owner, const struct dfs_caller *c)
{
	const char *slash = strchr(path, '/');
	struct dfs_project_attr a;
	struct sdir *d;

	if (!slash) {
		if (!dfs_dropbox_dir_may_write(db, c))
			return -EACCES;
		return owner && !dfs_dropbox_may_delete(db, *owner, c) ? -EPERM
								       : 0;
	}
	pthread_mutex_lock(&db->lock);
	d = find_locked(db, path, (size_t)(slash - path), 0);
	if (d)
		a = d->attr;
	pthread_mutex_unlock(&db->lock);
	if (!d)
		return -ENOENT;
	if (!attr_may(&a, c, DFS_MAY_WRITE | 1))
		return -EACCES;
	if (owner && (a.mode & S_ISVTX) && c->uid != 0 && c->uid != *owner &&
	    c->uid != a.uid)
		return -EPERM;
	return 0;
}

int dfs_dropbox_dir_path(struct dfs_dropbox *db, uint64_t dir, const char *leaf,
			 char *buf, size_t size)
{
	struct sdir *d;
	int rc = 0;

	if (!leaf_ok(leaf))
		return -EINVAL;
	if (strlen(leaf) > DFS_NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&db->lock);
	d = find_locked(db, NULL, 0, dir);
	if (!d)
		rc = -ENOENT;
	else if ((size_t)snprintf(buf, size, "%s/%s", d->name, leaf) >= size)
		rc = -ENAMETOOLONG;
	pthread_mutex_unlock(&db->lock);
	return rc;
}

static void dir_fill(const struct sdir *d, struct dfs_dbstat *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = DFS_DB_DIR;
	out->num = d->num;
	out->uid = d->attr.uid;
	out->gid = d->attr.gid;
	out->mode = d->attr.mode;
	out->atime = d->atime;
	out->mtime = d->mtime;
	out->ctime = d->ctime;
}

int dfs_dropbox_dir_stat_num(struct dfs_dropbox *db, uint64_t num,
			     struct dfs_dbstat *out)
{
	struct sdir *d;

	pthread_mutex_lock(&db->lock);
	d = find_locked(db, NULL, 0, num);
	if (d)
		dir_fill(d, out);
	pthread_mutex_unlock(&db->lock);
	return d ? 0 : -ENOENT;
}

int dfs_dropbox_sdir_lookup(struct dfs_dropbox *db, const char *name,
			    struct dfs_dbstat *out)
{
	struct sdir *d;

	pthread_mutex_lock(&db->lock);
	d = find_locked(db, name, strlen(name), 0);
	if (d)
		dir_fill(d, out);
	pthread_mutex_unlock(&db->lock);
	return d ? 0 : -ENOENT;
}

int dfs_dropbox_mkdir(struct dfs_dropbox *db, const char *name, uint32_t mode,
		      const struct dfs_caller *caller, struct dfs_dbstat *out)
{
	struct sdir *d;
	int rc = 0;

	if (!dfs_name_is_staging(name))
		return -EPERM; /* deploy/ holds files: projects are files */
	if (!dfs_dropbox_dir_may_write(db, caller))
		return -EACCES;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->attr = (struct dfs_project_attr){caller->uid, caller->gid,
					    mode & 07777};
	d->atime = d->mtime = d->ctime = dfs_dropbox_now();
	pthread_mutex_lock(&db->lock);
	if (find_locked(db, name, strlen(name), 0) ||
	    node_named_locked(db, name)) {
		rc = -EEXIST;
	} else {
		d->num = ++db->next_num;
		d->next = db->dirs;
		db->dirs = d;
		dir_fill(d, out);
	}
	pthread_mutex_unlock(&db->lock);
	if (rc)
		free(d);
	return rc;
}

int dfs_dropbox_rmdir(struct dfs_dropbox *db, const char *name,
		      const struct dfs_caller *caller)
{
	struct dfs_dbstat st;
	struct sdir **p, *d;
	uint32_t owner;
	int rc;

	if (!dfs_dropbox_is_dir(db, name))
		return dfs_dropbox_lookup(db, name, &st) == 0 ? -ENOTDIR
							      : -ENOENT;
	if (!dfs_dropbox_dir_may_write(db, caller))
		return -EACCES;
	pthread_mutex_lock(&db->lock);
	for (p = &db->dirs; *p && strcmp((*p)->name, name) != 0;
	     p = &(*p)->next)
		;
	d = *p;
	owner = d ? d->attr.uid : 0;
	pthread_mutex_unlock(&db->lock);
	if (!d)
		return -ENOENT;
	if (!dfs_dropbox_may_delete(db, owner, caller))
		return -EPERM;
	pthread_mutex_lock(&db->lock);
	for (p = &db->dirs; *p && strcmp((*p)->name, name) != 0;
	     p = &(*p)->next)
		;
	d = *p;
	rc = !d ? -ENOENT : node_in_locked(db, name) ? -ENOTEMPTY : 0;
	if (!rc)
		*p = d->next;
	pthread_mutex_unlock(&db->lock);
	if (!rc)
		free(d);
	return rc;
}

int dfs_dropbox_sdir_setattr(struct dfs_dropbox *db, uint64_t num,
			     const struct dfs_setattr *sa,
			     const struct dfs_caller *c)
{
	struct dfs_project_attr a;
	struct sdir *d;
	int rc;

	if (sa->mask & DFS_SET_SIZE)
		return -EISDIR;
	rc = dfs_dropbox_dir_stat_num(db, num, &(struct dfs_dbstat){0});
	if (rc)
		return rc;
	pthread_mutex_lock(&db->lock);
	d = find_locked(db, NULL, 0, num);
	a = d ? d->attr : (struct dfs_project_attr){0};
	pthread_mutex_unlock(&db->lock);
	rc = dfs_dropbox_may_change(&a, attr_may(&a, c, DFS_MAY_WRITE), sa, c);
	if (rc)
		return rc;
	pthread_mutex_lock(&db->lock);
	d = find_locked(db, NULL, 0, num);
	if (d) {
		if (sa->mask & DFS_SET_MODE)
			d->attr.mode = sa->mode & 07777;
		if (sa->mask & DFS_SET_UID)
			d->attr.uid = sa->uid;
		if (sa->mask & DFS_SET_GID)
			d->attr.gid = sa->gid;
		if (sa->mask & DFS_SET_ATIME)
			d->atime = sa->atime;
		if (sa->mask & DFS_SET_MTIME)
			d->mtime = sa->mtime;
		d->ctime = dfs_dropbox_now();
	}
	pthread_mutex_unlock(&db->lock);
	return d ? 0 : -ENOENT;
}

int dfs_dropbox_move(struct dfs_dropbox *db, struct node *n, const char *to,
		     const struct dfs_caller *c)
{
	struct node *old;
	uint32_t owner;
	bool dropped;
	int rc;

	if (!strchr(to, '/') && dfs_dropbox_is_dir(db, to))
		return -EISDIR;
	old = dfs_dropbox_node_find(db, to, 0);
	if (old == n) {
		dfs_dropbox_node_put(db, old);
		return 0; /* onto itself: nothing to do */
	}
	if (old) {
		pthread_mutex_lock(&old->lock);
		owner = old->attr.uid;
		pthread_mutex_unlock(&old->lock);
	}
	rc = dfs_dropbox_parent_may(db, to, old ? &owner : NULL, c);
	if (rc) {
		if (old)
			dfs_dropbox_node_put(db, old);
		return rc;
	}
	pthread_mutex_lock(&db->lock);
	/* The file it replaces leaves the directory, as with unlink. */
	dropped = old && old->linked;
	if (dropped)
		old->linked = false;
	snprintf(n->name, sizeof(n->name), "%s", to);
	pthread_mutex_unlock(&db->lock);
	if (dropped)
		dfs_dropbox_node_put(db, old);
	if (old)
		dfs_dropbox_node_put(db, old);
	return 0;
}

/* The next entry of @dir (0: deploy/ itself) above @after, into @name. */
static bool scan_next_locked(struct dfs_dropbox *db, const struct sdir *dir,
			     uint64_t after, char *name, size_t size,
			     enum dfs_dbkind *kind, uint64_t *num)
{
	size_t dn = dir ? strlen(dir->name) : 0;
	const struct node *best = NULL;
	const struct sdir *bestd = NULL;
	uint64_t lo = UINT64_MAX;

	for (const struct node *n = db->nodes; n; n = n->next) {
		const char *slash = strchr(n->name, '/');

		if (!n->linked || n->num <= after || n->num >= lo)
			continue;
		if (dir ? !slash || (size_t)(slash - n->name) != dn ||
				    strncmp(n->name, dir->name, dn) != 0
			: slash != NULL)
			continue;
		best = n;
		lo = n->num;
	}
	for (const struct sdir *d = dir ? NULL : db->dirs; d; d = d->next)
		if (d->num > after && d->num < lo) {
			bestd = d;
			lo = d->num;
		}
	if (bestd) {
		snprintf(name, size, "%s", bestd->name);
		*kind = DFS_DB_DIR;
	} else if (best) {
		snprintf(name, size, "%s", best->name + (dir ? dn + 1 : 0));
		*kind = DFS_DB_NODE;
	} else {
		return false;
	}
	*num = lo;
	return true;
}

int dfs_dropbox_scan(struct dfs_dropbox *db, uint64_t dir, uint64_t after,
		     int (*fn)(void *arg, const char *name,
			       enum dfs_dbkind kind, uint64_t num),
		     void *arg)
{
	char name[DFS_DROPBOX_PATH_MAX + 1];
	enum dfs_dbkind kind;
	struct sdir *d = NULL;
	bool more;
	int rc;

	for (;;) {
		pthread_mutex_lock(&db->lock);
		if (dir)
			d = find_locked(db, NULL, 0, dir);
		more = (!dir || d) &&
		       scan_next_locked(db, d, after, name, sizeof(name), &kind,
					&after);
		pthread_mutex_unlock(&db->lock);
		if (dir && !d)
			return -ENOENT;
		if (!more)
			return 0;
		rc = fn(arg, name, kind, after);
		if (rc)
			return rc;
	}
}

void dfs_dropbox_dirs_free(struct dfs_dropbox *db)
{
	while (db->dirs) {
		struct sdir *d = db->dirs;

		db->dirs = d->next;
		free(d);
	}
}
