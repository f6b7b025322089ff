/*
 * dropbox_dir — deploy/ itself (see dropbox.h): its owner, group and mode,
 * kept in the catalog as the setting "deploy_dir", and the checks that
 * follow from them as the kernel would make them on a directory.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dropbox_impl.h"
#include "isotime.h"
#include "project.h"

#define DIR_KEY "deploy_dir"

/* As a file's attributes: what dfs_project_may judges. */
static bool attr_may(const struct dfs_project_attr *a,
		     const struct dfs_caller *c, unsigned want)
{
	struct dfs_project p = {.uid = a->uid, .gid = a->gid, .mode = a->mode};

	return dfs_project_may(&p, c, want);
}

int dfs_dropbox_dir_load(struct dfs_dropbox *db)
{
	json_int_t uid, gid, mode, ctime;
	json_t *o;
	char *v;
	int rc;

	db->dir = (struct dfs_project_attr){db->owner, (uint32_t)getgid(),
					    S_ISVTX | 0777};
	clock_gettime(CLOCK_REALTIME, &db->dir_ctime);
	rc = dfs_catalog_setting_get(dfs_store_catalog(db->st), DIR_KEY, &v);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	o = json_loads(v, 0, NULL);
	free(v);
	rc = -EBADMSG;
	if (o && json_unpack(o, "{s:I, s:I, s:I, s:I}", "uid", &uid, "gid",
			     &gid, "mode", &mode, "ctime", &ctime) == 0) {
		db->dir = (struct dfs_project_attr){
			(uint32_t)uid, (uint32_t)gid, (uint32_t)mode & 07777};
		db->dir_ctime = dfs_time_to_timespec(ctime);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

static int dir_store(struct dfs_dropbox *db, const struct dfs_project_attr *a,
		     int64_t ctime_ms)
{
	json_t *o;
	char *s;
	int rc;

	o = json_pack("{s:I, s:I, s:I, s:I}", "uid", (json_int_t)a->uid, "gid",
		      (json_int_t)a->gid, "mode", (json_int_t)a->mode, "ctime",
		      (json_int_t)ctime_ms);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s)
		return -ENOMEM;
	rc = dfs_catalog_setting_set(dfs_store_catalog(db->st), DIR_KEY, s);
	free(s);
	return rc;
}

bool dfs_dropbox_dir_may_write(struct dfs_dropbox *db,
			       const struct dfs_caller *c)
{
	struct dfs_project_attr a;

	pthread_mutex_lock(&db->lock);
	a = db->dir;
	pthread_mutex_unlock(&db->lock);
	return attr_may(&a, c, DFS_MAY_WRITE | 1);
}

bool dfs_dropbox_may_delete(struct dfs_dropbox *db, uint32_t owner,
			    const struct dfs_caller *c)
{
	bool ok;

	pthread_mutex_lock(&db->lock);
	ok = !(db->dir.mode & S_ISVTX) || c->uid == 0 || c->uid == owner ||
	     c->uid == db->dir.uid;
	pthread_mutex_unlock(&db->lock);
	return ok;
}

void dfs_dropbox_dir_stat(struct dfs_dropbox *db, struct dfs_dbstat *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&db->lock);
	out->uid = db->dir.uid;
	out->gid = db->dir.gid;
	out->mode = db->dir.mode;
	out->ctime = db->dir_ctime;
	pthread_mutex_unlock(&db->lock);
	out->atime = out->mtime = out->ctime;
}

int dfs_dropbox_dir_setattr(struct dfs_dropbox *db,
			    const struct dfs_setattr *sa,
			    const struct dfs_caller *caller,
			    struct dfs_dbstat *out)
{
	struct dfs_project_attr a;
	struct timespec now;
	int rc;

	if (sa->mask & DFS_SET_SIZE)
		return -EISDIR;
	pthread_mutex_lock(&db->lock);
	a = db->dir;
	pthread_mutex_unlock(&db->lock);
	rc = dfs_dropbox_may_change(&a, attr_may(&a, caller, DFS_MAY_WRITE), sa,
				    caller);
	if (rc)
		return rc;
	if (sa->mask & DFS_SET_MODE)
		a.mode = sa->mode & 07777;
	if (sa->mask & DFS_SET_UID)
		a.uid = sa->uid;
	if (sa->mask & DFS_SET_GID)
		a.gid = sa->gid;
	clock_gettime(CLOCK_REALTIME, &now);
	if (sa->mask & (DFS_SET_MODE | DFS_SET_UID | DFS_SET_GID)) {
		rc = dir_store(db, &a, dfs_time_from_timespec(&now));
		if (rc)
			return rc;
		pthread_mutex_lock(&db->lock);
		db->dir = a;
		db->dir_ctime = now;
		pthread_mutex_unlock(&db->lock);
	}
	dfs_dropbox_dir_stat(db, out);
	return 0;
}
